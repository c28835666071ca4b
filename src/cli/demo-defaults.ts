// The demo's own defaults, each overridable by its flag: 28-px images gain nothing from 224 px, and a few
// epochs show both phases in minutes on a CPU. Kept apart from commands/demo.ts so that the help text
// (program.ts, loaded for every command) shows them without loading the demo's code.

export const DEMO_DEFAULTS = Object.freeze({ imageSize: 112, epochs1: 3, epochs2: 2 } as const);
