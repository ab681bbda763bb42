package weir.bench.nexmark;

import java.time.Duration;
import java.util.ArrayList;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import weir.bench.nexmark.Model.Bid;
import weir.bench.nexmark.Model.Event;
import weir.bench.nexmark.Rows.Hottest;
import weir.bench.nexmark.Rows.MaxBids;
import weir.bench.nexmark.Rows.Q11Row;
import weir.bench.nexmark.Rows.Q5Row;
import weir.bench.nexmark.Rows.Q8Acc;
import weir.bench.nexmark.Rows.Q8Row;
import weir.bench.nexmark.Rows.Q8Side;
import weir.bench.nexmark.Rows.WindowMax;

/** The window queries q5, q7, q8 and q11, operator for operator as bench/nexmark/weir-queries.ts. */
final class WindowQueries {
  private WindowQueries() {}

  static final Duration Q5_SIZE = Duration.ofSeconds(10);
  static final Duration Q5_SLIDE = Duration.ofSeconds(2);
  static final Duration Q7_SIZE = Duration.ofSeconds(10);
  static final Duration Q8_SIZE = Duration.ofSeconds(10);
  static final Duration Q11_GAP = Duration.ofSeconds(10);

  static final class Count<T> implements AggregateFunction<T, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(T value, Long acc) {
      return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  // ---------------------------------------------------------------------------------------- q5

  static final class AuctionCounts extends ProcessWindowFunction<Long, Q5Row, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Q5Row> out) {
      out.collect(new Q5Row(auction, counts.iterator().next(), ctx.window().getStart()));
    }
  }

  /** Per window (keyed by its start): the auctions with the highest count, emitted once the window's results are all in. */
  static final class HottestPerWindow extends KeyedProcessFunction<Long, Q5Row, Q5Row> {
    private transient ValueState<Hottest> best;

    @Override
    public void open(OpenContext ctx) {
      best = getRuntimeContext().getState(new ValueStateDescriptor<>("best", Hottest.class));
    }

    @Override
    public void processElement(Q5Row c, Context ctx, Collector<Q5Row> out) throws Exception {
      Hottest b = best.value();
      if (b == null) {
        b = new Hottest();
        b.num = c.num;
        b.auctions.add(c.auction);
        best.update(b);
        // window results carry the window's last millisecond: fire once the watermark passed it
        ctx.timerService().registerEventTimeTimer(ctx.timestamp());
      } else if (c.num >= b.num) {
        if (c.num > b.num) {
          b.num = c.num;
          b.auctions = new ArrayList<>();
        }
        b.auctions.add(c.auction);
        best.update(b);
      }
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<Q5Row> out) throws Exception {
      Hottest b = best.value();
      if (b == null) return;
      long start = ctx.getCurrentKey();
      for (long auction : b.auctions) out.collect(new Q5Row(auction, b.num, start));
      best.clear();
    }
  }

  static DataStream<Q5Row> q5(DataStream<Bid> bids) {
    return bids.keyBy(b -> b.auction, Types.LONG)
        .window(SlidingEventTimeWindows.of(Q5_SIZE, Q5_SLIDE))
        .aggregate(new Count<Bid>(), new AuctionCounts(), Types.LONG, Types.LONG, Types.POJO(Q5Row.class))
        .name("bids per auction")
        .keyBy(c -> c.start, Types.LONG)
        .process(new HottestPerWindow())
        .returns(Q5Row.class)
        .name("hottest");
  }

  // ---------------------------------------------------------------------------------------- q7

  static final class MaxBidsAgg implements AggregateFunction<Bid, MaxBids, MaxBids> {
    @Override
    public MaxBids createAccumulator() {
      return new MaxBids();
    }

    @Override
    public MaxBids add(Bid b, MaxBids acc) {
      if (b.price > acc.price) {
        acc.price = b.price;
        acc.bids = new ArrayList<>();
        acc.bids.add(b);
      } else if (b.price == acc.price) acc.bids.add(b);
      return acc;
    }

    @Override
    public MaxBids getResult(MaxBids acc) {
      return acc;
    }

    @Override
    public MaxBids merge(MaxBids a, MaxBids b) {
      if (a.price != b.price) return a.price > b.price ? a : b;
      a.bids.addAll(b.bids);
      return a;
    }
  }

  static final class WindowMaxFn extends ProcessWindowFunction<MaxBids, WindowMax, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<MaxBids> results, Collector<WindowMax> out) {
      MaxBids r = results.iterator().next();
      WindowMax m = new WindowMax();
      m.start = ctx.window().getStart();
      m.price = r.price;
      m.bids = r.bids;
      out.collect(m);
    }
  }

  /** Global maximum per window over the per-auction maxima. */
  static final class HighestPerWindow extends KeyedProcessFunction<Long, WindowMax, Bid> {
    private transient ValueState<MaxBids> best;

    @Override
    public void open(OpenContext ctx) {
      best = getRuntimeContext().getState(new ValueStateDescriptor<>("best", MaxBids.class));
    }

    @Override
    public void processElement(WindowMax m, Context ctx, Collector<Bid> out) throws Exception {
      MaxBids b = best.value();
      if (b == null) {
        b = new MaxBids();
        b.price = m.price;
        b.bids = m.bids;
        best.update(b);
        ctx.timerService().registerEventTimeTimer(ctx.timestamp());
      } else if (m.price >= b.price) {
        if (m.price > b.price) b.bids = m.bids;
        else b.bids.addAll(m.bids);
        b.price = m.price;
        best.update(b);
      }
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<Bid> out) throws Exception {
      MaxBids b = best.value();
      if (b == null) return;
      for (Bid bid : b.bids) out.collect(bid);
      best.clear();
    }
  }

  static DataStream<Bid> q7(DataStream<Bid> bids) {
    return bids.keyBy(b -> b.auction, Types.LONG)
        .window(TumblingEventTimeWindows.of(Q7_SIZE))
        .aggregate(new MaxBidsAgg(), new WindowMaxFn(), Types.POJO(MaxBids.class), Types.POJO(MaxBids.class), Types.POJO(WindowMax.class))
        .name("max per auction")
        .keyBy(m -> m.start, Types.LONG)
        .process(new HighestPerWindow())
        .returns(Bid.class)
        .name("max per window");
  }

  // ---------------------------------------------------------------------------------------- q8

  static final class Q8Agg implements AggregateFunction<Q8Side, Q8Acc, Q8Acc> {
    @Override
    public Q8Acc createAccumulator() {
      return new Q8Acc();
    }

    @Override
    public Q8Acc add(Q8Side v, Q8Acc acc) {
      if (v.name != null) acc.name = v.name;
      else acc.auction = true;
      return acc;
    }

    @Override
    public Q8Acc getResult(Q8Acc acc) {
      return acc;
    }

    @Override
    public Q8Acc merge(Q8Acc a, Q8Acc b) {
      Q8Acc m = new Q8Acc();
      m.name = a.name != null ? a.name : b.name;
      m.auction = a.auction || b.auction;
      return m;
    }
  }

  static final class NewUsers extends ProcessWindowFunction<Q8Acc, Q8Row, Long, TimeWindow> {
    @Override
    public void process(Long id, Context ctx, Iterable<Q8Acc> results, Collector<Q8Row> out) {
      Q8Acc r = results.iterator().next();
      if (r.name != null && r.auction) out.collect(new Q8Row(id, r.name, ctx.window().getStart()));
    }
  }

  static DataStream<Q8Row> q8(DataStream<Event> in) {
    return in.flatMap(
            (Event e, Collector<Q8Side> out) -> {
              Q8Side s = new Q8Side();
              if (e.type == Model.PERSON) {
                s.id = e.person.id;
                s.name = e.person.name;
              } else if (e.type == Model.AUCTION) s.id = e.auction.seller;
              else return;
              out.collect(s);
            })
        .returns(Q8Side.class)
        .name("persons and sellers")
        .keyBy(s -> s.id, Types.LONG)
        .window(TumblingEventTimeWindows.of(Q8_SIZE))
        .aggregate(new Q8Agg(), new NewUsers(), Types.POJO(Q8Acc.class), Types.POJO(Q8Acc.class), Types.POJO(Q8Row.class))
        .name("new users");
  }

  // ---------------------------------------------------------------------------------------- q11

  static final class Sessions extends ProcessWindowFunction<Long, Q11Row, Long, TimeWindow> {
    @Override
    public void process(Long bidder, Context ctx, Iterable<Long> counts, Collector<Q11Row> out) {
      TimeWindow w = ctx.window();
      out.collect(new Q11Row(bidder, counts.iterator().next(), w.getStart(), w.getEnd()));
    }
  }

  static DataStream<Q11Row> q11(DataStream<Bid> bids) {
    return bids.keyBy(b -> b.bidder, Types.LONG)
        .window(EventTimeSessionWindows.withGap(Q11_GAP))
        .aggregate(new Count<Bid>(), new Sessions(), Types.LONG, Types.LONG, Types.POJO(Q11Row.class))
        .name("sessions");
  }
}
