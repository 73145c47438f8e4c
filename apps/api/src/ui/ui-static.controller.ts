import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** The visualizer's own files: hand-written ES modules and CSS, no build step. */
export function uiRoot(): string {
  const candidates = [
    path.resolve(__dirname, '../../ui'), // apps/api/src/ui -> apps/api/ui
    path.resolve(process.cwd(), 'apps/api/ui'), // the build runs from the repository root
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0];
}

const SERVED_EXTENSIONS = new Set(['.html', '.js', '.css', '.svg', '.png', '.ico']);

/** The vendored files, by their public name under /ui/vendor/: only these, from node_modules. */
const VENDOR: Record<string, string> = {
  'elk.bundled.js': 'elkjs/lib/elk.bundled.js',
};

/**
 * Serves the visualizer at /ui without an API key (the page asks for one and sends it to the
 * API itself). Only files under the UI directory with a known extension are served.
 */
@Controller('ui')
export class UiStaticController {
  private readonly root = uiRoot();

  @Get()
  index(@Req() req: Request, @Res() res: Response): void {
    // Relative module URLs resolve against /ui/, not /.
    if (!req.path.endsWith('/')) return res.redirect(301, '/ui/');
    this.send(res, path.join(this.root, 'index.html'));
  }

  @Get('vendor/:file')
  vendor(@Req() req: Request, @Res() res: Response): void {
    const module = VENDOR[String(req.params.file)];
    if (!module) throw new NotFoundException(`No vendored file ${req.path}.`);
    this.send(res, require.resolve(module), 'public, max-age=86400');
  }

  @Get('*path')
  file(@Req() req: Request, @Res() res: Response): void {
    const relative = decodeURIComponent(req.path.replace(/^\/ui\/?/, ''));
    const file = path.resolve(this.root, relative);
    const inside = file.startsWith(this.root + path.sep);
    if (!inside || !SERVED_EXTENSIONS.has(path.extname(file)) || !isFile(file)) {
      throw new NotFoundException(`No visualizer file ${req.path}.`);
    }
    this.send(res, file);
  }

  private send(res: Response, file: string, cacheControl = 'no-cache'): void {
    res.setHeader('Cache-Control', cacheControl);
    res.sendFile(file, { dotfiles: 'deny' });
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
