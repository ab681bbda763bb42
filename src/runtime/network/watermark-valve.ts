/**
 * Combines the watermarks of the channels of one input (Flink's StatusWatermarkValve): the input's
 * watermark is the minimum over active channels and only ever advances; idle channels are left
 * out; when every channel is idle the input is idle. Ended channels count as MAX.
 */
import { MIN_WATERMARK } from '../../api/time.js';

export interface ValveOutput {
  watermark(wm: number): void;
  status(idle: boolean): void;
}

export class StatusWatermarkValve {
  private readonly wms: number[];
  private readonly idle: boolean[];
  private lastOut = MIN_WATERMARK;
  private allIdle = false;

  constructor(
    channels: number,
    private readonly out: ValveOutput,
  ) {
    this.wms = new Array<number>(channels).fill(MIN_WATERMARK);
    this.idle = new Array<boolean>(channels).fill(false);
  }

  inputWatermark(channel: number, wm: number): void {
    if (wm > this.wms[channel]!) this.wms[channel] = wm;
    if (this.idle[channel]) return;
    this.emitMin();
  }

  inputStatus(channel: number, idle: boolean): void {
    if (this.idle[channel] === idle) return;
    this.idle[channel] = idle;
    const nowAllIdle = this.idle.every((x) => x);
    if (nowAllIdle !== this.allIdle) {
      this.allIdle = nowAllIdle;
      this.out.status(nowAllIdle);
    }
    if (!nowAllIdle) this.emitMin();
  }

  get current(): number {
    return this.lastOut;
  }

  private emitMin(): void {
    let min = Infinity;
    for (let i = 0; i < this.wms.length; i++) if (!this.idle[i] && this.wms[i]! < min) min = this.wms[i]!;
    if (min !== Infinity && min > this.lastOut) {
      this.lastOut = min;
      this.out.watermark(min);
    }
  }
}
