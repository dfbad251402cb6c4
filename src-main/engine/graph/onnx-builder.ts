// A tiny helper for assembling ONNX graphs with onnx-proto: unique names, typed initializers,
// nodes with attributes, and serialisation.
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

// onnx-proto is a CommonJS protobufjs module: Node's ESM loader cannot see its named export, so we
// take the default (module.exports) and read the namespace from it. Works in tsx, vitest and esbuild.
const proto = onnxProto.onnx;

export const OPSET = 17;
// IR version 8 is what ONNX 1.12 pairs with opset 17; onnxruntime accepts it.
const IR_VERSION = 8;

export const FLOAT = proto.TensorProto.DataType.FLOAT;
export const INT64 = proto.TensorProto.DataType.INT64;
export const BOOL = proto.TensorProto.DataType.BOOL;
export const UINT8 = proto.TensorProto.DataType.UINT8;
export const FLOAT16 = proto.TensorProto.DataType.FLOAT16;
/** ONNX Runtime's contrib operators (MatMulNBits and friends) live in this domain, opset 1. */
export const MS_DOMAIN = 'com.microsoft';

export type Dim = number | string;
export type AttrValue = number | number[] | { float: number } | { graph: onnx.IGraphProto };

export interface ExternalSlice {
  /** file name, relative to the folder the session is told to read external data from */
  location: string;
  offset: number;
  length: number;
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;
  /** operator domains other than the standard one that nodes use (each needs an opset import) */
  private readonly domains = new Set<string>();

  /**
   * `namePrefix` keeps a subgraph's generated names (a Loop body's) apart from its parent's: ONNX does
   * not let a subgraph reuse a name of the scope it sees.
   */
  constructor(private readonly namePrefix = '') {}

  fresh(prefix: string): string {
    return `${this.namePrefix}${prefix}_${this.counter++}`;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  floats(name: string, data: Float32Array, dims: number[]): string {
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType: FLOAT, dims, rawData });
    return name;
  }

  scalar(value: number): string {
    return this.floats(this.fresh('const'), Float32Array.of(value), []);
  }

  /** A rank-0 int64 initializer. */
  int64Scalar(value: number): string {
    const name = this.fresh('i64s');
    this.initializers.push({ name, dataType: INT64, dims: [], int64Data: [value] });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dataType: INT64, dims: [values.length], int64Data: values });
    return name;
  }

  /** An F32 initializer whose bytes stay in another file (ONNX external data). */
  externalFloats(name: string, dims: number[], slice: ExternalSlice): string {
    return this.external(name, FLOAT, dims, slice);
  }

  /** An initializer of any element type whose bytes stay in another file (ONNX external data). */
  external(name: string, dataType: number, dims: number[], slice: ExternalSlice): string {
    this.initializers.push({
      name,
      dataType,
      dims,
      dataLocation: proto.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: slice.location },
        { key: 'offset', value: String(slice.offset) },
        { key: 'length', value: String(slice.length) },
      ],
    });
    return name;
  }

  node(
    opType: string,
    inputs: string[],
    outputs: number | string[] = 1,
    attrs: Record<string, AttrValue> = {},
    domain = '',
  ): string[] {
    const outNames =
      typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    const attribute: onnx.IAttributeProto[] = Object.entries(attrs).map(([name, v]) => {
      if (Array.isArray(v)) return { name, type: proto.AttributeProto.AttributeType.INTS, ints: v };
      if (typeof v === 'object' && 'graph' in v)
        return { name, type: proto.AttributeProto.AttributeType.GRAPH, g: v.graph };
      if (typeof v === 'object') return { name, type: proto.AttributeProto.AttributeType.FLOAT, f: v.float };
      return { name, type: proto.AttributeProto.AttributeType.INT, i: v };
    });
    this.nodes.push({ opType, input: inputs, output: outNames, name: this.fresh(opType), attribute, domain });
    if (domain !== '') this.domains.add(domain);
    // A Loop/If body's contrib nodes need the opset import on the model, which only the parent writes.
    for (const v of Object.values(attrs)) {
      if (typeof v === 'object' && 'graph' in v) for (const d of graphDomains(v.graph)) this.domains.add(d);
    }
    return outNames;
  }

  /** One-output node, returning its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, 1, attrs)[0];
  }

  /** The graph itself, for a Loop/If body attribute ({ graph: ... }). */
  graph(graphName: string): onnx.IGraphProto {
    return {
      name: graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }

  encode(graphName: string): Uint8Array {
    const model = proto.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'sightline',
      opsetImport: [{ domain: '', version: OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      graph: this.graph(graphName),
    });
    return proto.ModelProto.encode(model).finish();
  }
}

function graphDomains(graph: onnx.IGraphProto): Set<string> {
  const found = new Set<string>();
  for (const node of graph.node ?? []) {
    if (node.domain) found.add(node.domain);
    for (const a of node.attribute ?? []) if (a.g) for (const d of graphDomains(a.g)) found.add(d);
  }
  return found;
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
