// Types of seal-check.js for the tests and benches that run it in Node (WebCrypto there too).
export declare function canonical(value: unknown): string;
export declare function sha256Hex(bytes: BufferSource): Promise<string>;
export declare function importArchiveKey(pem: string): Promise<CryptoKey | null>;
export declare function checkSeal(manifest: unknown, key: CryptoKey): Promise<{ ok: true; seal: { hearingId: string; count: number; head: string; keyId: string; final: boolean; sealedAt: string } } | { ok: false; why: 'not-a-seal' | 'signature' | 'chain' | 'not-final'; n?: number | null }>;
export declare function entryOf(manifest: unknown, rel: string): { key: string; size: number; sha256: string } | null;
export declare function segmentMatches(entry: { size: number; sha256: string } | null, bytes: ArrayBuffer | Uint8Array): Promise<boolean>;
export declare function statementLeaf(statement: unknown): Promise<Uint8Array>;
export declare function sealStatement(seal: { hearingId: string; count: number; head: string; keyId: string }): { kind: 'seal'; hearingId: string; count: number; head: string; keyId: string };
export declare function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<boolean>;
export declare function treeHeadSigned(head: unknown, key: CryptoKey): Promise<boolean>;
export declare function provesInclusion(answer: unknown, key: CryptoKey): Promise<boolean>;
export declare function sealInLog(seal: { hearingId: string; count: number; head: string; keyId: string }, answers: unknown, key: CryptoKey): Promise<{ found: 'this-seal'; index: number; treeSize: number } | { found: 'another-seal' | 'none' }>;
export declare function checkCheckpoint(doc: unknown, key: CryptoKey, hearingId: string, known?: Map<string, string>): Promise<{ ok: true; checkpoint: { count: number; head: string; issuedAt: string; keyId: string }; byKey: Map<string, { key: string; size: number; sha256: string }> } | { ok: false; why: 'not-a-checkpoint' | 'signature' | 'chain' }>;
