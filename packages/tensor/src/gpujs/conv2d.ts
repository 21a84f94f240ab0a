/**
 * conv2d forward (NCHW, stride, padding, dilation, groups; no bias, as the op) as a
 * gpu.js kernel, float32 only.
 *
 * Layout for webasm: the output is `[Wo, Ho, N*O]` in gpu.js order, so a SIMD quad is 4
 * neighbouring output columns of one (image, channel, row): the weight tap and the row
 * bounds test are uniform (scalar), only the input read is gathered. The loops over the
 * input channels of a group, the kernel rows and the kernel columns run to constants
 * baked into the compiled kernel.
 */
import type { Conv2dAttrs } from '../kernels/conv.js';
import type { Kernel } from '../op.js';
import { sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { packFloat32 } from './elementwise.js';
import { cachedKernel, flattenOutput } from './runtime.js';

/** Operands above this many elements are left to cpu (indices are computed in float32 in places). */
export const MAX_CONV_OPERAND = 2 ** 24;

const SOURCE = `function (x, w) {
  const ow = this.thread.x;
  const oh = this.thread.y;
  const n = Math.floor(this.thread.z / this.constants.O);
  const o = this.thread.z - n * this.constants.O;
  const c0 = Math.floor(o / this.constants.OG) * this.constants.CG;
  let sum = 0.0;
  for (let cl = 0; cl < this.constants.CG; cl++) {
    const xPlane = (n * this.constants.C + c0 + cl) * this.constants.H;
    const wBase = (o * this.constants.CG + cl) * this.constants.KH;
    for (let ki = 0; ki < this.constants.KH; ki++) {
      const ih = oh * this.constants.SH - this.constants.PH + ki * this.constants.DH;
      if (ih >= 0) {
        if (ih < this.constants.H) {
          const xRow = (xPlane + ih) * this.constants.W;
          const wRow = (wBase + ki) * this.constants.KW;
          for (let kj = 0; kj < this.constants.KW; kj++) {
            const iw = ow * this.constants.SW - this.constants.PW + kj * this.constants.DW;
            if (iw >= 0) {
              if (iw < this.constants.W) {
                sum += x[xRow + iw] * w[wRow + kj];
              }
            }
          }
        }
      }
    }
  }
  return sum;
}`;

/** gpujs kernel of conv2d: float32 only, otherwise declines to cpu. */
export const conv2dGpujs: Kernel<Conv2dAttrs> = (inputs, attrs, out) => {
  const x = inputs[0]!;
  const w = inputs[1]!;
  if (x.dtype !== 'float32' || w.dtype !== 'float32' || out.dtype !== 'float32') return undefined;
  if (x.size >= MAX_CONV_OPERAND || w.size >= MAX_CONV_OPERAND) return undefined;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, CG, KH, KW] = w.shape as [number, number, number, number];
  const [Ho, Wo] = [out.shape[2]!, out.shape[3]!];
  const size = sizeOf(out.shape);
  if (size === 0 || CG === 0 || KH === 0 || KW === 0) return new Tensor(new Float32Array(size), out.shape, 'float32');
  const constants = {
    C,
    H,
    W,
    O,
    OG: O / attrs.groups,
    CG,
    KH,
    KW,
    SH: attrs.stride[0],
    SW: attrs.stride[1],
    PH: attrs.padding[0],
    PW: attrs.padding[1],
    DH: attrs.dilation[0],
    DW: attrs.dilation[1],
  };
  const key = `conv2d:${N}:${Object.values(constants).join(':')}:${Ho}:${Wo}`;
  const kern = cachedKernel(key, (gpu) =>
    gpu.createKernel(SOURCE, {
      output: [Wo, Ho, N * O],
      constants,
      precision: 'single',
      pipeline: false,
    }).setLoopMaxIterations(Math.max(CG, KH, KW)),
  );
  if (!kern) return undefined;
  const result = kern(packFloat32(x, x.size), packFloat32(w, w.size));
  return new Tensor(flattenOutput(result, size), out.shape, 'float32');
};
