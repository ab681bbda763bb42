/** Names a side output. Two tags are the same side output when their ids are equal. */
export class OutputTag<T = unknown> {
  /** Phantom field so OutputTag<A> and OutputTag<B> stay distinct types. */
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (!id) throw new Error('OutputTag needs a non-empty id');
  }
}
