// Shared types of the data area.

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** 'squash': resize to size×size ignoring aspect; 'crop': shorter side to size/0.875, then centre crop. */
export type ResizeMode = 'squash' | 'crop';
export const RESIZE_MODES: readonly ResizeMode[] = ['squash', 'crop'];

/** Training augmentation presets (see transforms.ts for what each does). */
export type AugmentPreset = 'none' | 'flip' | 'light' | 'standard' | 'dihedral' | 'trivial' | 'randaugment';
export const AUGMENT_PRESETS: readonly AugmentPreset[] = ['none', 'flip', 'light', 'standard', 'dihedral', 'trivial', 'randaugment'];

/**
 * What is learnt: one of two classes (sigmoid, the seed's protocol), one of C classes (softmax), or any
 * subset of C labels (a sigmoid per label).
 */
export type TaskKind = 'binary' | 'multiclass' | 'multilabel';
export const TASK_KINDS: readonly TaskKind[] = ['binary', 'multiclass', 'multilabel'];
/** A task asked for: 'auto' decides from the data (2 classes: binary; more: multiclass; ';'-separated labels: multilabel). */
export type TaskRequest = TaskKind | 'auto';

/** Where the images came from. */
export type SourceLayout = 'split-dirs' | 'class-dirs' | 'csv';

/** One labelled image of a dataset. */
export interface DataItem {
  /** Absolute path of the file. */
  path: string;
  /** Path as listed in the source: relative to the data folder, or as written in the CSV. */
  relPath: string;
  /** Class name; multilabel: the image's label names in class order joined by ';' ('' for none). */
  className: string;
  /**
   * Index of the class in Dataset.classes: binary 1 for the positive class, 0 for the negative one;
   * multiclass 0..C-1; multilabel -1 (see labels).
   */
  label: number;
  /** Multilabel only: the indices in Dataset.classes of the image's labels, ascending (empty: none of them). */
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
  task: TaskKind;
  /**
   * binary: [negative, positive]; multiclass and multilabel: the class (label) names in sorted order (a model's
   * own order when the data is read for a model, see SourceOptions.knownClasses).
   */
  classes: string[];
  /** The positive class (classes[1]) of a binary task; null otherwise. */
  positiveClass: string | null;
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
