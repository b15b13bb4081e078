// Typed errors and result shapes shared by every codec in this folder. Decoders never throw on
// bad input: they return one of these.

export type ProtocolErrorCode =
  | 'unknown-msgtype'
  | 'too-large'
  | 'too-short'
  | 'bad-field'
  | 'bad-hex'
  | 'bad-json'
  | 'bad-guid'
  | 'bad-length';

export interface ProtocolError {
  code: ProtocolErrorCode;
  message: string;
  msgtype?: number;
  msgtypeName?: string;
  /** Byte offset (within the channel message, or within the slot/struct being decoded). */
  offset?: number;
  field?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

export function fail(code: ProtocolErrorCode, message: string, extra?: Omit<ProtocolError, 'code' | 'message'>): { ok: false; error: ProtocolError } {
  return { ok: false, error: { code, message, ...extra } };
}
