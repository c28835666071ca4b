// The one walk over image folders, for every command: train and evaluate scan a data folder with it
// (sources.ts), predict the folders it is given (imageFilesIn). Its policy on symbolic links:
//  - a link to a file is followed (the file is named by the link's path); a broken link or a link loop is
//    listed like a file, so that one named like an image is reported as unreadable, not dropped;
//  - a link to a folder is followed only when it leads out of the folders the walk scans (the class and
//    split folders of a data folder) to a folder that nothing else leads to. A link to the scanned folder, to
//    a folder above it, to a folder that holds the link (a loop), into another class or split folder, or to a
//    folder already reached another way stops the walk with an error naming the link and where it leads:
//    followed, it would read images twice, under another class or split (a link to the data folder inside a
//    class folder made every image of the data that class, and val/ then looked empty).
// torchvision's ImageFolder follows every folder link (os.walk(followlinks=True)) and so takes such data
// silently. Special files (FIFOs, sockets, devices) are listed like files: whoever opens one checks first
// that it is a regular file (see io/regular-file.ts), so they are reported instead of blocking.
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageFile } from './names.js';

export interface WalkEntry {
  name: string;
  /** The path as reached (through links, when it was). */
  full: string;
  /** A folder, or a link to one. */
  isDir: boolean;
}

/** A folder link the walk does not follow (see above). */
export class FolderLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FolderLinkError';
  }
}

const byName = (a: WalkEntry, b: WalkEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** True when `child` lies inside `parent` (real paths; not equal). */
function isInside(parent: string, child: string): boolean {
  const r = path.relative(parent, child);
  return r !== '' && r !== '..' && !r.startsWith(`..${path.sep}`) && !path.isAbsolute(r);
}
const isWithin = (parent: string, child: string) => parent === child || isInside(parent, child);

const FOLLOWS = 'tlearn follows a folder link only when it leads out of the folders it scans, to a folder that ' +
  'nothing else leads to: remove the link, or copy the folder';

/** Lists the folders of one root by the policy above; each folder once (see list). */
export class FolderWalker {
  private readonly reals = new Map<string, Promise<string>>();
  /** Folder links met while listing: path -> the link's own text. */
  private readonly links = new Map<string, string>();
  /** Real path of every folder listed -> where it was first reached. */
  private readonly reached = new Map<string, string>();
  /** The top-level folders of the root: the class or split folders, whose images the walk reads anyway. */
  private scanned: Array<{ real: string; rel: string }> = [];
  private rootReal = '';
  /** Whether any listed folder held a symbolic link (else no file can be reached twice). */
  private sawLinks = false;

  /** `what` names the root in messages ('the data folder', 'the folder'). */
  private constructor(readonly root: string, private readonly what: string) {}

  /** A walker for the folder `root` (its top-level folders are what a folder link must not lead into). */
  static async open(root: string, what = 'the data folder'): Promise<FolderWalker> {
    const w = new FolderWalker(path.resolve(root), what);
    w.rootReal = await w.real(w.root);
    for (const e of await readdir(w.root, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(w.root, e.name);
      const real = await w.real(full);
      // A top-level link to the root or above protects nothing: the walk refuses it when it enters it.
      const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(full).then((s) => s.isDirectory(), () => false)));
      if (isDir && !isWithin(real, w.rootReal)) w.scanned.push({ real, rel: e.name });
    }
    return w;
  }

  /** A path relative to the root, with '/' separators (for messages and dataset paths). */
  rel(full: string): string {
    return path.relative(this.root, full).split(path.sep).join('/');
  }

  /** The real path of a path the walk reached (links resolved); the path itself when it cannot be resolved. */
  real(p: string): Promise<string> {
    let r = this.reals.get(p);
    if (!r) {
      r = realpath(p).catch(() => path.resolve(p));
      this.reals.set(p, r);
    }
    return r;
  }

  /**
   * The entries of a folder at or under the root, sorted by name. A folder reached through a link is checked
   * against the policy first, and every folder must be reached once only: FolderLinkError otherwise.
   */
  async list(dir: string): Promise<WalkEntry[]> {
    const real = await this.real(dir);
    const rel = this.rel(dir);
    const link = this.links.get(dir);
    if (link !== undefined) await this.checkLink(dir, link, real);
    const first = this.reached.get(real);
    if (first !== undefined && first !== rel) {
      this.fail(`${this.shown(dir)} leads to ${real}, which the scan already reached as ${first || '.'}: its images would be read twice`);
    }
    this.reached.set(real, rel);
    const out: WalkEntry[] = [];
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, d.name);
      let isDir = d.isDirectory();
      if (d.isSymbolicLink()) {
        this.sawLinks = true;
        isDir = await stat(full).then((s) => s.isDirectory(), () => false);
        if (isDir) this.links.set(full, await readlink(full));
      }
      out.push({ name: d.name, full, isDir });
    }
    return out.sort(byName);
  }

  /**
   * The files reached under more than one name (through links): groups of paths, in the order given. Each
   * name stays an item of its own (and the audit reports them as duplicates); this is for saying why.
   */
  async reachedTwice(files: readonly string[]): Promise<string[][]> {
    if (!this.sawLinks) return [];
    const byReal = new Map<string, string[]>();
    const reals = await Promise.all(files.map((f) => this.real(f)));
    for (const [i, f] of files.entries()) {
      const real = reals[i]!;
      const group = byReal.get(real);
      if (group) group.push(f); else byReal.set(real, [f]);
    }
    return [...byReal.values()].filter((g) => g.length > 1);
  }

  /** Every image file under `dir` (recursively, hidden entries skipped), in sorted order. */
  async imageFiles(dir: string): Promise<string[]> {
    const files: string[] = [];
    for (const e of await this.list(dir)) {
      if (e.name.startsWith('.')) continue;
      if (e.isDir) files.push(...(await this.imageFiles(e.full)));
      else if (isImageFile(e.name)) files.push(e.full);
    }
    return files;
  }

  private shown(dir: string): string {
    const link = this.links.get(dir);
    return link === undefined ? this.rel(dir) : `${this.rel(dir)} -> ${link}`;
  }

  private fail(why: string): never {
    throw new FolderLinkError(`${this.root}: folder link ${why}; ${FOLLOWS}`);
  }

  /** The policy for a folder link at `dir` that leads to `target` (its real path). */
  private async checkLink(dir: string, link: string, target: string): Promise<void> {
    const shown = `${this.rel(dir)} -> ${link}`;
    if (target === this.rootReal) this.fail(`${shown} leads to ${this.what} itself (a loop)`);
    if (isInside(target, this.rootReal)) this.fail(`${shown} leads to ${target}, a folder above ${this.what} (a loop)`);
    // The folders from the root down to the link: a target holding one of them would be walked again and again.
    for (let p = path.dirname(dir); isWithin(this.root, p); p = path.dirname(p)) {
      if (isWithin(target, await this.real(p))) this.fail(`${shown} leads to ${target}, a folder that holds the link (a loop)`);
      if (p === this.root) break;
    }
    const own = this.rel(dir);
    for (const s of this.scanned) {
      if (s.rel === own) continue;
      if (isWithin(s.real, target)) {
        const sub = path.relative(s.real, target).split(path.sep).join('/');
        this.fail(`${shown} leads into ${s.rel}/${sub ? `${sub}/` : ''}, which ${this.what} holds anyway: its images would be read twice`);
      }
      if (isInside(target, s.real)) this.fail(`${shown} leads to ${target}, which holds ${s.rel}/ of ${this.what}: its images would be read twice`);
    }
  }
}

/** The image files under a folder given to predict (hidden entries skipped), sorted, by the walk's policy. */
export async function imageFilesIn(dir: string): Promise<string[]> {
  const walker = await FolderWalker.open(dir, 'the folder');
  return walker.imageFiles(walker.root);
}
