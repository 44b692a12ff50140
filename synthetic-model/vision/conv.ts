// nn.Conv2d as the exporter writes it: one Conv node reading `<module>.weight` (Cout, Cin/groups, k, k) and
// `<module>.bias` under their state-dict names, with every attribute spelled out.
import type { Exporter } from "../export-ops";

export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  /** 1 for a dense conv, inChannels for a depthwise one. */
  groups: number;
  std: number;
}

export function conv2d(ex: Exporter, x: string, module: string, c: ConvSpec): string {
  const w = ex.param(`${module}.weight`, [c.outChannels, c.inChannels / c.groups, c.kernel, c.kernel], c.std);
  const b = ex.param(`${module}.bias`, [c.outChannels], c.std);
  return ex.op(
    "Conv",
    [x, w, b],
    {
      dilations: [1, 1],
      group: c.groups,
      kernel_shape: [c.kernel, c.kernel],
      pads: [c.pad, c.pad, c.pad, c.pad],
      strides: [c.stride, c.stride],
    },
    `/${module}/Conv`,
  );
}
