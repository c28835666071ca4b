// SGD with momentum, dampening, Nesterov and L2 weight decay: torch.optim.SGD's single-tensor update, in
// the same order of floating-point operations.
import { keep, type Tensor } from '../torch/index.js';
import { Optimizer, check, type ParamGroup, type ParamsInput } from './optimizer.js';

export interface SGDGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
}
export type SGDOptions = Partial<Omit<SGDGroup, 'params' | 'lr'>> & { lr: number };

export class SGD extends Optimizer<SGDGroup> {
  constructor(params: ParamsInput<SGDGroup>, o: SGDOptions) {
    super(params, {
      lr: o.lr,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      weightDecay: o.weightDecay ?? 0,
      nesterov: o.nesterov ?? false,
      maximize: o.maximize ?? false,
    });
  }
  get kind(): string {
    return 'SGD';
  }

  protected validateGroup(g: SGDGroup, where: string): void {
    check(Number.isFinite(g.lr) && g.lr >= 0, this.kind, where, 'learning rate', g.lr);
    check(Number.isFinite(g.momentum) && g.momentum >= 0, this.kind, where, 'momentum', g.momentum);
    check(Number.isFinite(g.dampening), this.kind, where, 'dampening', g.dampening);
    check(Number.isFinite(g.weightDecay) && g.weightDecay >= 0, this.kind, where, 'weightDecay', g.weightDecay);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new Error(`${this.kind}: Nesterov momentum requires a momentum and zero dampening (${where})`);
    }
  }

  protected updateGroup(g: SGDGroup): void {
    for (const p of g.params) {
      const grad = p.grad;
      if (!grad) continue;
      let dP: Tensor = g.maximize ? grad.neg() : grad;
      if (g.weightDecay !== 0) dP = dP.add(p, g.weightDecay);
      if (g.momentum !== 0) {
        const state = this.stateOf(p);
        let buf = state.momentum_buffer as Tensor | undefined;
        if (buf === undefined) {
          buf = keep(dP.clone());
          state.momentum_buffer = buf;
        } else {
          buf.mul_(g.momentum).add_(dP, 1 - g.dampening);
        }
        dP = g.nesterov ? dP.add(buf, g.momentum) : buf;
      }
      p.add_(dP, -g.lr);
    }
  }
}
