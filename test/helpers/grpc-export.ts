import * as grpc from '@grpc/grpc-js';

const EXPORT_SERVICE = {
  export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

export interface RawExportClient {
  /** Sends raw bytes as an ExportTraceServiceRequest; resolves with the call's error (null on success) and reply. */
  export(body: Buffer, token?: string): Promise<{ err: grpc.ServiceError | null; res?: Buffer }>;
  close(): void;
}

/** A gRPC client for TraceService/Export that sends bytes as they are, so tests can send anything. */
export function rawExportClient(address: string): RawExportClient {
  const Client = grpc.makeGenericClientConstructor(EXPORT_SERVICE, 'TraceService');
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as {
    export(b: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
    close(): void;
  };
  return {
    export(body, token) {
      const md = new grpc.Metadata();
      if (token) md.set('authorization', `Bearer ${token}`);
      return new Promise((resolve) => client.export(body, md, (err, res) => resolve({ err, res })));
    },
    close: () => client.close(),
  };
}
