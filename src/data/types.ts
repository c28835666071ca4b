// Shared types of the data area.

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** 'squash': resize to size×size ignoring aspect; 'crop': shorter side to size/0.875, then centre crop. */
export type ResizeMode = 'squash' | 'crop';
export const RESIZE_MODES: readonly ResizeMode[] = ['squash', 'crop'];

/** Training augmentation presets (see transforms.ts for what each does). */
export type AugmentPreset = 'none' | 'flip' | 'light' | 'standard';
export const AUGMENT_PRESETS: readonly AugmentPreset[] = ['none', 'flip', 'light', 'standard'];

/** Where the images came from. */
export type SourceLayout = 'split-dirs' | 'class-dirs' | 'csv';

/** One labelled image of a dataset. */
export interface DataItem {
  /** Absolute path of the file. */
  path: string;
  /** Path as listed in the source: relative to the data folder, or as written in the CSV. */
  relPath: string;
  /** Class name. */
  className: string;
  /** 1 for the positive class, 0 for the negative one. */
  label: 0 | 1;
  /** TEMPORARY until the data layer's multi-label branch lands. */
  labels?: readonly number[];
  split: Split;
}

/** Files seen but not used. */
export interface IgnoredFiles {
  /** Names starting with '.' (files, or whole folders counted once). */
  hidden: number;
  /** Files whose extension is not an image extension we decode. */
  nonImage: number;
  /**
   * Of the nonImage files, the images tlearn cannot read (BMP, PPM/PGM/PBM: torchvision's ImageFolder reads
   * some of them), counted by lower-case extension, so messages can name them.
   */
  unsupported: Record<string, number>;
  /** Files lying outside any class folder (e.g. a README next to the class folders). */
  outside: number;
  /** A few of the ignored paths, for messages. */
  examples: string[];
  /** Folders (relative, ending in '/') without any image where a class folder could be: not classes. */
  emptyFolders: string[];
  /** tlearn run or evaluation folders inside the data folder, and folders excluded by the caller: skipped. */
  outputFolders: string[];
}

export interface Dataset {
  /** Folder the relative paths are relative to (the data folder, or the CSV's folder). */
  root: string;
  /** The folder or CSV file given. */
  source: string;
  layout: SourceLayout;
  /** [negative, positive]. */
  classes: [string, string];
  positiveClass: string;
  /** TEMPORARY until the data layer's task branch lands. */
  task?: 'binary' | 'multiclass' | 'multilabel';
  items: DataItem[];
  ignored: IgnoredFiles;
  /** Decisions taken while loading that the user should see (ignored folders, ...): one line each. */
  notes: string[];
  /**
   * How the split was made: given by folders/CSV; drawn (seeded, stratified); or given except val, which
   * was drawn from train because the given split had no val images ('val_drawn').
   */
  split: { kind: 'given' } | { kind: 'drawn'; seed: number; valFraction: number; testFraction: number }
    | { kind: 'val_drawn'; seed: number; valFraction: number };
}
