// Weight-only block quantisation for ONNX Runtime's com.microsoft MatMulNBits (issue 13): an
// nn.Linear weight [N = out, K = in] is cut along K into blocks of 32; each block keeps one fp32 scale
// and its codes, packed low bits first (two 4-bit codes per byte), with no zero-point input, so ORT
// uses its default 2^(bits-1). The layout is the checkpoint's own [out, in], so nothing is transposed.
//
// Symmetric, llama.cpp Q4_0-style: the scale maps the block's largest-magnitude value to the most
// negative code (-8 or -128), which uses the whole code range instead of leaving one code unused.
// `dequantiseBlocks` is the plain-TypeScript reading of the same codes that the tests hold ORT to.
export const BLOCK_SIZE = 32;

export type WeightBits = 4 | 8;

export interface BlockQuantised {
  bits: WeightBits;
  /** rows (output features) */
  N: number;
  /** columns (input features), the axis the blocks run along */
  K: number;
  blocksPerRow: number;
  /** [N, blocksPerRow, BLOCK_SIZE * bits / 8] */
  packed: Uint8Array;
  /** [N, blocksPerRow] */
  scales: Float32Array;
}

export function blocksPerRow(K: number): number {
  return Math.ceil(K / BLOCK_SIZE);
}

export function quantiseBlocks(weight: Float32Array, N: number, K: number, bits: WeightBits): BlockQuantised {
  if (weight.length !== N * K) throw new Error(`quantiseBlocks: ${weight.length} values for [${N}, ${K}]`);
  const nBlocks = blocksPerRow(K);
  const blob = (BLOCK_SIZE * bits) / 8;
  const zeroPoint = 1 << (bits - 1);
  const maxCode = (1 << bits) - 1;
  const packed = new Uint8Array(N * nBlocks * blob);
  const scales = new Float32Array(N * nBlocks);
  const codes = new Uint8Array(BLOCK_SIZE);
  for (let n = 0; n < N; n++) {
    const row = n * K;
    for (let b = 0; b < nBlocks; b++) {
      const start = row + b * BLOCK_SIZE;
      const count = Math.min(BLOCK_SIZE, K - b * BLOCK_SIZE);
      let extreme = 0;
      let magnitude = 0;
      for (let i = 0; i < count; i++) {
        const v = weight[start + i];
        const a = v < 0 ? -v : v;
        if (a > magnitude) {
          magnitude = a;
          extreme = v;
        }
      }
      const scale = Math.fround(extreme / -zeroPoint);
      scales[n * nBlocks + b] = scale;
      const inverse = scale === 0 ? 0 : 1 / scale;
      // v * inverse lies in [-zeroPoint, zeroPoint], so v * inverse + zeroPoint + 0.5 >= 0 and `| 0` is
      // Math.round's floor; only the top needs a clamp. K beyond the last column pads with the zero point.
      codes.fill(zeroPoint);
      for (let i = 0; i < count; i++) {
        const code = (weight[start + i] * inverse + zeroPoint + 0.5) | 0;
        codes[i] = code > maxCode ? maxCode : code;
      }
      const out = (n * nBlocks + b) * blob;
      if (bits === 8) packed.set(codes, out);
      else for (let j = 0; j < blob; j++) packed[out + j] = codes[2 * j] | (codes[2 * j + 1] << 4);
    }
  }
  return { bits, N, K, blocksPerRow: nBlocks, packed, scales };
}

/** The [N, K] weight the codes stand for: (code - zero point) * scale, in fp32 as ORT computes it. */
export function dequantiseBlocks(q: BlockQuantised): Float32Array {
  const { bits, N, K, blocksPerRow: nBlocks, packed, scales } = q;
  const blob = (BLOCK_SIZE * bits) / 8;
  const zeroPoint = 1 << (bits - 1);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / BLOCK_SIZE);
      const i = k % BLOCK_SIZE;
      const at = (n * nBlocks + b) * blob;
      const code = bits === 8 ? packed[at + i] : (packed[at + (i >> 1)] >> (i & 1 ? 4 : 0)) & 0xf;
      out[n * K + k] = (code - zeroPoint) * scales[n * nBlocks + b];
    }
  }
  return out;
}
