// commander's Command, with the hints tlearn adds for an unknown option.
import { Command } from 'commander';

/**
 * commander's Command with two more hints for an unknown option, where its own edit-distance suggestion is
 * silent: a known option whose name starts the unknown one (--threshold-value: did you mean --threshold?), and
 * a command's option given before the command (tlearn --json train: put it after the command).
 */
export class TlearnCommand extends Command {
  createCommand(name?: string): TlearnCommand {
    return new TlearnCommand(name);
  }

  /** Called by commander's parser (not in its typings); must throw through this.error. */
  unknownOption(flag: string): void {
    const name = flag.split('=')[0]!;
    const longs = (cmd: Command) => cmd.options.filter((o) => o.long && !o.hidden).map((o) => o.long!);
    if (!this.parent) {
      // The command the user named: the first word that is one, then its subcommands' (weights list).
      let cmd: Command | undefined;
      for (const arg of (this as unknown as { rawArgs?: string[] }).rawArgs ?? []) {
        const sub = (cmd ?? this).commands.find((c) => c.name() === arg);
        if (sub) cmd = sub; else if (cmd && !arg.startsWith('-')) break;
      }
      if (cmd && longs(cmd).includes(name)) {
        const words: string[] = [];
        for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
        this.error(`error: unknown option '${flag}': put it after the command (tlearn ${words.join(' ')} … ${flag})`, { code: 'commander.unknownOption' });
      }
    } else if (name.startsWith('--')) {
      const prefix = longs(this).filter((l) => name.startsWith(`${l}-`)).sort((a, b) => b.length - a.length)[0];
      if (prefix) this.error(`error: unknown option '${flag}' (did you mean ${prefix}?)`, { code: 'commander.unknownOption' });
    }
    (Command.prototype as unknown as { unknownOption(flag: string): void }).unknownOption.call(this, flag);
  }
}
