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
