import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** Where participants send async outcomes: SAGA_PUBLIC_URL, or this service as it listens. */
@Injectable()
export class CallbackUrls {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The base URL, without a trailing slash. */
  base(): string {
    if (this.config.publicUrl) return this.config.publicUrl;
    // Listening on port 0 (tests) picks the port only at listen time: ask the server.
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as
      { address(): AddressInfo | string | null } | undefined;
    const address = server?.address?.();
    const port = address && typeof address === 'object' ? address.port : this.config.port;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  }

  forToken(token: string): string {
    return `${this.base()}/api/v1/callbacks/${token}`;
  }
}
