// Example converter: a LLaVA-NeXT activation dump's layout -> a `sightline.activations/1` sidecar
// (README, "Activations: the sidecar format"). Run with --help for the input format.
//
// LLaVA-NeXT (llava-v1.6; HF LlavaNextForConditionalGeneration.pack_image_features) replaces the
// prompt's one <image> token by:
//   1. the base image: patch_grid x patch_grid features (24 x 24 = 576 for CLIP ViT-L/14-336), row-major,
//      no newline tokens;
//   2. the anyres features: the grid of tiles (each patch_grid x patch_grid) merged into one map of
//      (tileRows * 24) x (tileCols * 24), unpadded to the original aspect ratio (unpad_image), with one
//      `image_newline` embedding after every row of that map.
// Text tokens follow (and precede) in prompt order. Special tokens (<s>, [INST], ...) and the newline
// rows are marked so that Sightline excludes them from encoding, densities and maxima.
//
// In the sidecar, tile 0 is the base grid and tile 1 is the whole merged anyres map (its rows run
// across tiles, which is the order the model saw them in, so it is one `image` segment with
// "newline": true).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpaddedGrid } from '../src-main/engine/vision/pack';

export const HELP = `Usage: node --import tsx scripts/convert-llava-next.ts --in LAYOUT.json --out SIDECAR.json

Writes a sightline.activations/1 sidecar for activations dumped from LLaVA-NeXT, from a layout file:

{
  "d_in": 4096,
  "model": "llava-hf/llava-v1.6-mistral-7b-hf", "layer": 20, "hook_point": "model.layers.20",
  "patch_grid": 24,                                  // patches per tile side (default 24)
  "image_token": "<image>",                          // the placeholder the image features replace
  "special_tokens": ["<s>", "</s>", "[INST]", "[/INST]"],   // rows excluded (default: these four)
  "shards": [
    { "path": "acts-000.safetensors", "tensor": "activations",   // relative to the output file
      "documents": [                                 // in the order their rows appear in the shard
        { "id": "n01443537_0001",
          "image": "images/0001.jpg",                // relative to the output file
          "image_size": [500, 375],                  // original width, height (for unpadding)
          "tiles": [2, 2],                           // anyres tile grid: rows, cols (e.g. 672x672 -> 2x2)
          "tokens": ["<s>", "[INST]", "<image>", "\\n", "What", " is", " this", "?", "[/INST]"] }
      ] }
  ]
}

Each document's rows, in model order: its tokens, with "<image>" expanded to patch_grid^2 base
patches, then the merged anyres map (unpadded) with one image-newline row after each map row.
A document without "image" is text only. "unpad": false keeps the padded map (models without it).

Options:
  --in FILE     the layout JSON above
  --out FILE    where to write the sidecar (shard and image paths stay relative to it)
  --help        this text
`;

export interface LayoutDocument {
  id: string;
  image?: string;
  image_size?: [number, number];
  tiles?: [number, number];
  unpad?: boolean;
  tokens: string[];
  meta?: Record<string, unknown>;
}

export interface Layout {
  d_in: number;
  model?: string;
  layer?: number;
  hook_point?: string;
  patch_grid?: number;
  image_token?: string;
  special_tokens?: string[];
  shards: { path: string; tensor?: string; documents: LayoutDocument[] }[];
}

const DEFAULT_SPECIAL = ['<s>', '</s>', '[INST]', '[/INST]'];

// unpad_image's arithmetic lives with the engine's packing, which the model itself runs.
export { unpaddedGrid };

type Segment =
  | { document: string; kind: 'text'; start: number; count: number }
  | { document: string; kind: 'image'; tile: number; newline?: boolean }
  | { document: string; kind: 'special'; count: number; label?: string };

export function convertLlavaNextLayout(layout: Layout): { sidecar: unknown; rows: number[] } {
  const grid = layout.patch_grid ?? 24;
  const imageToken = layout.image_token ?? '<image>';
  const special = new Set(layout.special_tokens ?? DEFAULT_SPECIAL);
  const documents: unknown[] = [];
  const rowsPerShard: number[] = [];
  const shards = layout.shards.map((shard, s) => {
    const segments: Segment[] = [];
    let rows = 0;
    for (const [d, doc] of shard.documents.entries()) {
      const where = `shards[${s}].documents[${d}] ("${doc.id}")`;
      const images = doc.tokens.filter((t) => t === imageToken).length;
      if (doc.image && images !== 1)
        throw new Error(`${where}: expected exactly one "${imageToken}" token for its image, found ${images}`);
      if (!doc.image && images > 0) throw new Error(`${where}: has "${imageToken}" but no "image"`);
      // Content tokens are the document's tokens in Sightline; special ones become excluded rows.
      const content: string[] = [];
      let run: Segment | undefined;
      const push = (seg: Segment) => {
        segments.push(seg);
        run = seg;
      };
      let tiles: { rows: number; cols: number }[] | undefined;
      for (const token of doc.tokens) {
        if (token === imageToken) {
          const [tileRows, tileCols] = doc.tiles ?? [0, 0];
          push({ document: doc.id, kind: 'image', tile: 0 });
          rows += grid * grid;
          tiles = [{ rows: grid, cols: grid }];
          if (tileRows > 0 && tileCols > 0) {
            let map = { rows: tileRows * grid, cols: tileCols * grid };
            if (doc.unpad !== false) {
              if (!doc.image_size)
                throw new Error(
                  `${where}: "image_size" [width, height] is needed to unpad the anyres map (or set "unpad": false)`,
                );
              map = unpaddedGrid(map.rows, map.cols, doc.image_size[0], doc.image_size[1]);
            }
            tiles.push(map);
            push({ document: doc.id, kind: 'image', tile: 1, newline: true });
            rows += map.rows * (map.cols + 1);
          }
          run = undefined;
        } else if (special.has(token)) {
          if (run?.kind === 'special' && run.label === token) run.count++;
          else push({ document: doc.id, kind: 'special', count: 1, label: token });
          rows++;
        } else {
          if (run?.kind === 'text') run.count++;
          else push({ document: doc.id, kind: 'text', start: content.length, count: 1 });
          content.push(token);
          rows++;
        }
      }
      documents.push({
        id: doc.id,
        ...(content.length > 0 ? { tokens: content } : {}),
        ...(doc.image ? { image: doc.image, tiles } : {}),
        ...(doc.meta ? { meta: doc.meta } : {}),
      });
    }
    rowsPerShard.push(rows);
    return { path: shard.path, ...(shard.tensor ? { tensor: shard.tensor } : {}), segments };
  });
  const sidecar = {
    format: 'sightline.activations/1',
    d_in: layout.d_in,
    ...(layout.model ? { model: layout.model } : {}),
    ...(layout.layer !== undefined ? { layer: layout.layer } : {}),
    ...(layout.hook_point ? { hook_point: layout.hook_point } : {}),
    documents,
    shards,
  };
  return { sidecar, rows: rowsPerShard };
}

function main(argv: string[]): number {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const input = arg('--in');
  const output = arg('--out');
  if (!input || !output) {
    process.stderr.write(`convert-llava-next: --in and --out are required\n\n${HELP}`);
    return 2;
  }
  try {
    const layout = JSON.parse(fs.readFileSync(input, 'utf8')) as Layout;
    const { sidecar, rows } = convertLlavaNextLayout(layout);
    fs.writeFileSync(output, `${JSON.stringify(sidecar, null, 1)}\n`);
    rows.forEach((n, i) => process.stdout.write(`${layout.shards[i].path}: ${n} rows expected\n`));
    process.stdout.write(
      `wrote ${path.resolve(output)}; import it with: sightline import-activations --project DIR --path ${output}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`convert-llava-next: ${input}: ${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
