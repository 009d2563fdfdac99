import type { RawData } from 'ws';

/** A WebSocket text frame as a string: ws hands a Buffer by default, the other shapes only under other binaryTypes. */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** A WebSocket binary frame's bytes (ws hands a Buffer by default; a fragmented message as a list of them). */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
