// A RESTRICTED unpickler for PyTorch state dicts. It interprets only the opcodes torch.save emits for
// a dict of tensors and resolves only a fixed allowlist of globals to inert data constructors. Nothing
// is ever imported or executed: an unknown opcode or class is a bad_file error. This is the same idea
// as torch.load(weights_only=True), written as an allowlist from the start.
import { badFile } from '../../util/errors.js';

export type StorageDtype = 'F32' | 'F16' | 'BF16';

export interface PickledStorage {
  kind: 'storage';
  dtype: StorageDtype;
  key: string;
  numel: number;
}

export interface PickledTensor {
  kind: 'tensor';
  storage: PickledStorage;
  storageOffset: number;
  size: number[];
  stride: number[];
}

interface GlobalRef {
  kind: 'global';
  qualified: string;
}

type Value = unknown;

const STORAGE_TYPES: Record<string, StorageDtype> = {
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
};

const CALLABLES: Record<string, (args: Value[]) => Value> = {
  'collections.OrderedDict': (args) => {
    const map = new Map<Value, Value>();
    if (Array.isArray(args[0])) for (const pair of args[0] as Value[][]) map.set(pair[0], pair[1]);
    return map;
  },
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  'torch._utils._rebuild_tensor_v2': (args) => {
    const [storage, storageOffset, size, stride] = args as [PickledStorage, number, number[], number[]];
    if (!storage || (storage as { kind?: string }).kind !== 'storage')
      throw new Error('_rebuild_tensor_v2 without a storage');
    return { kind: 'tensor', storage, storageOffset, size: [...size], stride: [...stride] } satisfies PickledTensor;
  },
  // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor for us.
  'torch._utils._rebuild_parameter': (args) => args[0],
};

export const ALLOWED_GLOBALS = [...Object.keys(CALLABLES), ...Object.keys(STORAGE_TYPES)];

const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO',
  0x95: 'FRAME',
  0x2e: 'STOP',
  0x7d: 'EMPTY_DICT',
  0x28: 'MARK',
  0x58: 'BINUNICODE',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x94: 'MEMOIZE',
  0x68: 'BINGET',
  0x6a: 'LONG_BINGET',
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x51: 'BINPERSID',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4d: 'BININT2',
  0x74: 'TUPLE',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x29: 'EMPTY_TUPLE',
  0x52: 'REDUCE',
  0x75: 'SETITEMS',
  0x73: 'SETITEM',
  0x89: 'NEWFALSE',
  0x88: 'NEWTRUE',
  0x4e: 'NONE',
  0x62: 'BUILD',
  0x5d: 'EMPTY_LIST',
  0x65: 'APPENDS',
  0x61: 'APPEND',
  0x47: 'BINFLOAT',
  0x8a: 'LONG1',
};
export const ALLOWED_OPCODES = Object.values(OPCODE_NAMES);

const MARK = Symbol('mark');

/** Unpickle `bytes` (named `file` in errors); returns the top-level value (normally a Map). */
export function restrictedUnpickle(bytes: Uint8Array, file: string): Value {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let pos = 0;

  const fail = (field: string, expected: string, found?: string) => badFile(file, field, expected, found);
  const need = (n: number) => {
    if (pos + n > bytes.length) throw fail(`pickle byte ${pos}`, `${n} more bytes`, 'end of data (truncated)');
  };
  const pop = (): Value => {
    if (stack.length === 0) throw fail(`pickle byte ${pos}`, 'a value on the stack', 'an empty stack');
    return stack.pop();
  };
  const popMark = (): Value[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw fail(`pickle byte ${pos}`, 'a MARK on the stack', 'none');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const text = (n: number) => {
    need(n);
    const s = decoder.decode(bytes.subarray(pos, pos + n));
    pos += n;
    return s;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail(`pickle byte ${pos}`, 'a newline-terminated GLOBAL name', 'end of data');
    const s = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const global = (module: string, name: string): GlobalRef => {
    const qualified = `${module}.${name}`;
    if (!(qualified in CALLABLES) && !(qualified in STORAGE_TYPES)) {
      throw fail(`pickle global ${qualified}`, `only the classes ${ALLOWED_GLOBALS.join(', ')}`, qualified);
    }
    return { kind: 'global', qualified };
  };
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));

  for (;;) {
    need(1);
    const at = pos;
    const op = bytes[pos++];
    switch (op) {
      case 0x80:
        need(1);
        pos += 1;
        break; // PROTO
      case 0x95:
        need(8);
        pos += 8;
        break; // FRAME: framing is advisory
      case 0x2e:
        return pop(); // STOP
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x28:
        stack.push(MARK);
        break;
      case 0x58:
        stack.push(text(u32()));
        break;
      case 0x8c:
        need(1);
        stack.push(text(bytes[pos++]));
        break;
      case 0x8d:
        need(8);
        {
          const n = Number(view.getBigUint64(pos, true));
          pos += 8;
          stack.push(text(n));
        }
        break;
      case 0x71:
        need(1);
        memo.set(bytes[pos++], stack[stack.length - 1]);
        break;
      case 0x72:
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x94:
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68:
      case 0x6a: {
        const key = op === 0x68 ? (need(1), bytes[pos++]) : u32();
        if (!memo.has(key)) throw fail(`pickle byte ${at}`, `memo entry ${key}`, 'none');
        stack.push(memo.get(key));
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        const name = pop();
        stack.push(global(String(pop()), String(name)));
        break;
      }
      case 0x51:
        stack.push(persistentLoad(pop(), file));
        break;
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b:
        need(1);
        stack.push(bytes[pos++]);
        break;
      case 0x4d:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      case 0x8a: {
        need(1);
        const n = bytes[pos++];
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
        if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(Number(v));
        break;
      }
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x74:
        stack.push(popMark());
        break;
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x29:
      case 0x5d:
        stack.push([]);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x52: {
        const args = pop();
        const fn = pop() as GlobalRef;
        const call = fn && fn.kind === 'global' ? CALLABLES[fn.qualified] : undefined;
        if (!call || !Array.isArray(args))
          throw fail(
            `pickle REDUCE at byte ${at}`,
            `a call of ${Object.keys(CALLABLES).join(', ')}`,
            fn?.qualified ?? typeof fn,
          );
        try {
          stack.push(call(args));
        } catch (error) {
          throw fail(`pickle REDUCE ${fn.qualified} at byte ${at}`, 'well-formed arguments', (error as Error).message);
        }
        break;
      }
      case 0x75:
      case 0x73: {
        const items = op === 0x75 ? popMark() : [pop(), pop()].reverse();
        const dict = stack[stack.length - 1];
        if (!(dict instanceof Map))
          throw fail(`pickle ${OPCODE_NAMES[op]} at byte ${at}`, 'a dict on the stack', typeof dict);
        for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case 0x65:
      case 0x61: {
        const items = op === 0x65 ? popMark() : [pop()];
        const list = stack[stack.length - 1];
        if (!Array.isArray(list))
          throw fail(`pickle ${OPCODE_NAMES[op]} at byte ${at}`, 'a list on the stack', typeof list);
        // A loop, not push(...items): a crafted APPENDS of a million memo gets would overflow the call stack.
        for (const item of items) list.push(item);
        break;
      }
      case 0x62: {
        // BUILD sets object state; for state dicts that is only OrderedDict._metadata, which we drop.
        pop();
        const target = stack[stack.length - 1] as { kind?: string } | undefined;
        if (!(target instanceof Map) && target?.kind !== 'tensor')
          throw fail(`pickle BUILD at byte ${at}`, 'a dict or tensor to build', typeof target);
        break;
      }
      default:
        throw fail(
          `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`,
          `only the state-dict opcodes ${ALLOWED_OPCODES.join(', ')}`,
          `0x${op.toString(16).padStart(2, '0')}`,
        );
    }
  }
}

// torch.save's persistent id: ('storage', storage_type, key, location, numel)
function persistentLoad(pid: Value, file: string): PickledStorage {
  const t = pid as [string, GlobalRef, string, string, number];
  if (!Array.isArray(t) || t[0] !== 'storage' || t.length < 5) {
    // Described, not JSON.stringify'd: a crafted tuple can contain itself.
    throw badFile(
      file,
      'pickle persistent id',
      "('storage', storage_type, key, location, numel)",
      Array.isArray(t) ? `a ${t.length}-tuple starting ${describe(t[0])}` : describe(t),
    );
  }
  const dtype = t[1]?.kind === 'global' ? STORAGE_TYPES[t[1].qualified] : undefined;
  if (!dtype) {
    throw badFile(
      file,
      `pickle storage type ${t[1]?.qualified ?? String(t[1])}`,
      `one of ${Object.keys(STORAGE_TYPES).join(', ')}`,
    );
  }
  return { kind: 'storage', dtype, key: String(t[2]), numel: Number(t[4]) };
}

function describe(value: Value): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'a tuple' : value instanceof Map ? 'a dict' : typeof value;
}
