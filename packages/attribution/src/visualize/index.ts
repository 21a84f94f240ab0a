/** Heatmap rendering: normalisation of attribution maps and colour maps to RGBA bytes. */
export {
  normalizeAttribution,
  attributionScale,
  reduceChannels,
  type NormalizeOptions,
  type AttributionSign,
  type NormalizeMode,
} from './normalize.js';
export { heatmapRGBA, colormapRGB, type HeatmapOptions, type Colormap } from './heatmap.js';
export {
  attributionPicture,
  upscalePicture,
  colorBar,
  colorBarLabels,
  pictureGrid,
  encodePNG,
  type Picture,
  type PictureOptions,
  type PictureMode,
  type MapKind,
  type ColorBarOptions,
  type GridOptions,
} from './picture.js';
