/** A build step as BuildKit reports it (`moby.buildkit.v1.Vertex`). */
export interface BuildKitVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error: string;
}

/** Output of a step (`moby.buildkit.v1.VertexLog`). */
export interface BuildKitLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  message: Uint8Array;
}

/** One `moby.buildkit.trace` message (`moby.buildkit.v1.StatusResponse`), the parts we show. */
export interface BuildKitStatus {
  vertexes: BuildKitVertex[];
  logs: BuildKitLog[];
  warnings: string[];
}

/**
 * Decodes the base64 protobuf `aux` of a `moby.buildkit.trace` build message. The daemon
 * streams BuildKit's progress this way (field numbers from BuildKit's `control.proto`):
 * StatusResponse { 1 vertexes; 2 statuses; 3 logs; 4 warnings }, Vertex { 1 digest; 3 name;
 * 4 cached; 5 started; 6 completed; 7 error }, VertexLog { 1 vertex; 3 stream; 4 msg },
 * VertexWarning { 3 short }. Unknown fields are skipped, as protobuf readers must.
 */
export function decodeBuildKitStatus(aux: string): BuildKitStatus {
  const status: BuildKitStatus = { vertexes: [], logs: [], warnings: [] };
  for (const field of fields(Buffer.from(aux, 'base64'))) {
    if (field.bytes === null) continue;
    if (field.number === 1) status.vertexes.push(vertex(field.bytes));
    else if (field.number === 3) status.logs.push(vertexLog(field.bytes));
    else if (field.number === 4) {
      const short = fields(field.bytes).find((inner) => inner.number === 3);
      if (short?.bytes) status.warnings.push(text(short.bytes));
    }
  }
  return status;
}

function vertex(bytes: Uint8Array): BuildKitVertex {
  const result: BuildKitVertex = { digest: '', name: '', cached: false, started: false, completed: false, error: '' };
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.bytes) result.digest = text(field.bytes);
    else if (field.number === 3 && field.bytes) result.name = text(field.bytes);
    else if (field.number === 4) result.cached = field.value !== 0;
    else if (field.number === 5) result.started = true;
    else if (field.number === 6) result.completed = true;
    else if (field.number === 7 && field.bytes) result.error = text(field.bytes);
  }
  return result;
}

function vertexLog(bytes: Uint8Array): BuildKitLog {
  const result: BuildKitLog = { vertex: '', stream: 1, message: new Uint8Array() };
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.bytes) result.vertex = text(field.bytes);
    else if (field.number === 3) result.stream = field.value;
    else if (field.number === 4 && field.bytes) result.message = field.bytes;
  }
  return result;
}

interface Field {
  number: number;
  /** Varint value (0 for other wire types). */
  value: number;
  /** Length-delimited payload, or null. */
  bytes: Uint8Array | null;
}

function fields(bytes: Uint8Array): Field[] {
  const result: Field[] = [];
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (offset >= bytes.length) throw new Error('truncated protobuf varint');
      const byte = bytes[offset] ?? 0;
      offset += 1;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) result.push({ number, value: varint(), bytes: null });
    else if (wireType === 2) {
      const length = varint();
      result.push({ number, value: 0, bytes: bytes.subarray(offset, offset + length) });
      offset += length;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
  return result;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
