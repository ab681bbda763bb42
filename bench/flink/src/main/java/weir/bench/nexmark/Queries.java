package weir.bench.nexmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import weir.bench.nexmark.Model.Bid;
import weir.bench.nexmark.Model.Event;
import weir.bench.nexmark.Rows.OpenAuction;
import weir.bench.nexmark.Rows.Q2Row;
import weir.bench.nexmark.Rows.Q3Auction;
import weir.bench.nexmark.Rows.Q3Person;
import weir.bench.nexmark.Rows.Q3Row;
import weir.bench.nexmark.Rows.Q4Auction;
import weir.bench.nexmark.Rows.Q4Bid;
import weir.bench.nexmark.Rows.Q4Row;
import weir.bench.nexmark.Rows.Q4Winner;
import weir.bench.nexmark.Rows.Sum;

/**
 * The Nexmark queries as Flink DataStream programs, operator for operator as Weir's
 * (bench/nexmark/weir-queries.ts; semantics in bench/nexmark/queries.ts): stateless queries are
 * one flatMap chained to the source, stateful ones keyed windows, keyed process functions and
 * connected keyed streams. Window queries are in {@link WindowQueries}.
 */
public final class Queries {
  private Queries() {}

  public static final List<String> ALL = List.of("q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q11");

  static final double DOLLAR_TO_EURO = 0.908;
  static final long Q2_AUCTION_MODULUS = 123;
  static final long Q3_CATEGORY = 10;
  static final Set<String> Q3_STATES = Set.of("OR", "ID", "CA");

  /** Builds query {@code q} on {@code env} and adds its checksum sink writing into {@code dir}. */
  public static void build(StreamExecutionEnvironment env, String q, long events, double rate, String dir) {
    boolean stateless = q.equals("q0") || q.equals("q1") || q.equals("q2");
    // Stateless queries need no event time; the others trail event time by 1 ms (see queries.ts).
    WatermarkStrategy<Event> strategy =
        stateless ? WatermarkStrategy.noWatermarks() : WatermarkStrategy.forBoundedOutOfOrderness(Duration.ofMillis(1));
    DataStream<Event> in = env.fromSource(new NexmarkSource(events, rate), strategy, "Nexmark");
    switch (q) {
      case "q0":
        bids(in).sinkTo(new ChecksumSink<>(dir, Rows::hashBid, null)).name("q0 checksum");
        break;
      case "q1":
        in.flatMap(
                (Event e, Collector<Bid> out) -> {
                  if (e.type != Model.BID) return;
                  Bid b = e.bid;
                  out.collect(new Bid(b.auction, b.bidder, DOLLAR_TO_EURO * b.price, b.dateTime, b.extra));
                })
            .returns(Bid.class)
            .sinkTo(new ChecksumSink<>(dir, Rows::hashBid, null))
            .name("q1 checksum");
        break;
      case "q2":
        in.flatMap(
                (Event e, Collector<Q2Row> out) -> {
                  if (e.type == Model.BID && e.bid.auction % Q2_AUCTION_MODULUS == 0) out.collect(new Q2Row(e.bid.auction, e.bid.price));
                })
            .returns(Q2Row.class)
            .sinkTo(new ChecksumSink<>(dir, Rows::hashQ2, null))
            .name("q2 checksum");
        break;
      case "q3":
        q3(in).sinkTo(new ChecksumSink<>(dir, Rows::hashQ3, null)).name("q3 checksum");
        break;
      case "q4":
        q4(in).sinkTo(new ChecksumSink<>(dir, Rows::hashQ4, r -> r.category)).name("q4 checksum");
        break;
      case "q5":
        WindowQueries.q5(bids(in)).sinkTo(new ChecksumSink<>(dir, Rows::hashQ5, null)).name("q5 checksum");
        break;
      case "q7":
        WindowQueries.q7(bids(in)).sinkTo(new ChecksumSink<>(dir, Rows::hashBid, null)).name("q7 checksum");
        break;
      case "q8":
        WindowQueries.q8(in).sinkTo(new ChecksumSink<>(dir, Rows::hashQ8, null)).name("q8 checksum");
        break;
      case "q11":
        WindowQueries.q11(bids(in)).sinkTo(new ChecksumSink<>(dir, Rows::hashQ11, null)).name("q11 checksum");
        break;
      default:
        throw new IllegalArgumentException("unknown query '" + q + "' (queries: " + String.join(", ", ALL) + ")");
    }
  }

  static DataStream<Bid> bids(DataStream<Event> in) {
    return in.flatMap(
            (Event e, Collector<Bid> out) -> {
              if (e.type == Model.BID) out.collect(e.bid);
            })
        .returns(Bid.class)
        .name("bids");
  }

  // ---------------------------------------------------------------------------------------- q3

  /** Auction ⋈ person on seller = id, both sides held in keyed state until the other arrives. */
  static final class Q3Join extends KeyedCoProcessFunction<Long, Q3Auction, Q3Person, Q3Row> {
    private transient ValueState<Q3Person> person;
    private transient ListState<Long> pending;

    @Override
    public void open(OpenContext ctx) {
      person = getRuntimeContext().getState(new ValueStateDescriptor<>("person", Q3Person.class));
      pending = getRuntimeContext().getListState(new ListStateDescriptor<>("auctions", Long.class));
    }

    @Override
    public void processElement1(Q3Auction a, Context ctx, Collector<Q3Row> out) throws Exception {
      Q3Person p = person.value();
      if (p != null) out.collect(new Q3Row(p.name, p.city, p.state, a.id));
      else pending.add(a.id);
    }

    @Override
    public void processElement2(Q3Person p, Context ctx, Collector<Q3Row> out) throws Exception {
      person.update(p);
      Iterable<Long> waiting = pending.get();
      boolean any = false;
      for (long id : waiting) {
        out.collect(new Q3Row(p.name, p.city, p.state, id));
        any = true;
      }
      if (any) pending.clear();
    }
  }

  static DataStream<Q3Row> q3(DataStream<Event> in) {
    DataStream<Q3Auction> auctions =
        in.flatMap(
                (Event e, Collector<Q3Auction> out) -> {
                  if (e.type == Model.AUCTION && e.auction.category == Q3_CATEGORY) {
                    Q3Auction a = new Q3Auction();
                    a.id = e.auction.id;
                    a.seller = e.auction.seller;
                    out.collect(a);
                  }
                })
            .returns(Q3Auction.class)
            .name("auctions");
    DataStream<Q3Person> persons =
        in.flatMap(
                (Event e, Collector<Q3Person> out) -> {
                  if (e.type != Model.PERSON || !Q3_STATES.contains(e.person.state)) return;
                  Q3Person p = new Q3Person();
                  p.id = e.person.id;
                  p.name = e.person.name;
                  p.city = e.person.city;
                  p.state = e.person.state;
                  out.collect(p);
                })
            .returns(Q3Person.class)
            .name("persons");
    return auctions
        .connect(persons)
        .keyBy(a -> a.seller, p -> p.id, Types.LONG)
        .process(new Q3Join())
        .returns(Q3Row.class)
        .name("join");
  }

  // ---------------------------------------------------------------------------------------- q4

  /** How long a closed auction keeps ignoring its (late) bids before its state goes. */
  static final long Q4_CLEANUP_MS = 60_000;
  /** Early bids are pruned when their list reaches this length and every doubling of it. */
  static final int EARLY_PRUNE_AT = 32;

  /** The winning bid of each auction, emitted when event time passes its expiry (see weir-queries.ts). */
  static final class WinningBids extends KeyedCoProcessFunction<Long, Q4Auction, Q4Bid, Q4Winner> {
    private transient ValueState<OpenAuction> auction;
    private transient ValueState<List<Q4Bid>> early;

    @Override
    public void open(OpenContext ctx) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", OpenAuction.class));
      early = getRuntimeContext().getState(new ValueStateDescriptor<>("early-bids", Types.LIST(Types.POJO(Q4Bid.class))));
    }

    @Override
    public void processElement1(Q4Auction a, Context ctx, Collector<Q4Winner> out) throws Exception {
      double max = -1;
      List<Q4Bid> e = early.value();
      if (e != null) {
        for (Q4Bid b : e) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > max) max = b.price;
        early.clear();
      }
      OpenAuction o = new OpenAuction();
      o.category = a.category;
      o.dateTime = a.dateTime;
      o.expires = a.expires;
      o.max = max;
      auction.update(o);
      ctx.timerService().registerEventTimeTimer(a.expires);
    }

    @Override
    public void processElement2(Q4Bid b, Context ctx, Collector<Q4Winner> out) throws Exception {
      OpenAuction a = auction.value();
      if (a == null) {
        List<Q4Bid> e = early.value();
        if (e == null) e = new ArrayList<>();
        int n = e.size();
        // at 32, 64, 128, ... entries, so pruning costs O(1) per bid even when nothing can go
        if (n >= EARLY_PRUNE_AT && (n & (n - 1)) == 0) {
          long wm = ctx.timerService().currentWatermark();
          e.removeIf(x -> x.dateTime <= wm);
        }
        e.add(b);
        early.update(e);
      } else if (a.cleanupAt == Long.MIN_VALUE && b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > a.max) {
        a.max = b.price;
        auction.update(a);
      }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Q4Winner> out) throws Exception {
      OpenAuction a = auction.value();
      if (a == null) return;
      if (a.cleanupAt != Long.MIN_VALUE) {
        if (timestamp == a.cleanupAt) auction.clear();
      } else if (timestamp == a.expires) {
        if (a.max >= 0) {
          Q4Winner w = new Q4Winner();
          w.category = a.category;
          w.price = a.max;
          out.collect(w);
        }
        a.cleanupAt = a.expires + Q4_CLEANUP_MS;
        auction.update(a);
        ctx.timerService().registerEventTimeTimer(a.cleanupAt);
      }
    }
  }

  /** Running average per category: a changelog of (category, avg). */
  static final class AveragePerCategory extends KeyedProcessFunction<Long, Q4Winner, Q4Row> {
    private transient ValueState<Sum> sum;

    @Override
    public void open(OpenContext ctx) {
      sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum", Sum.class));
    }

    @Override
    public void processElement(Q4Winner w, Context ctx, Collector<Q4Row> out) throws Exception {
      Sum s = sum.value();
      if (s == null) s = new Sum();
      s.sum += w.price;
      s.n++;
      sum.update(s);
      out.collect(new Q4Row(w.category, s.sum / s.n));
    }
  }

  static DataStream<Q4Row> q4(DataStream<Event> in) {
    DataStream<Q4Auction> auctions =
        in.flatMap(
                (Event e, Collector<Q4Auction> out) -> {
                  if (e.type != Model.AUCTION) return;
                  Q4Auction a = new Q4Auction();
                  a.id = e.auction.id;
                  a.category = e.auction.category;
                  a.dateTime = e.auction.dateTime;
                  a.expires = e.auction.expires;
                  out.collect(a);
                })
            .returns(Q4Auction.class)
            .name("auctions");
    DataStream<Q4Bid> bidStream =
        in.flatMap(
                (Event e, Collector<Q4Bid> out) -> {
                  if (e.type != Model.BID) return;
                  Q4Bid b = new Q4Bid();
                  b.auction = e.bid.auction;
                  b.price = e.bid.price;
                  b.dateTime = e.bid.dateTime;
                  out.collect(b);
                })
            .returns(Q4Bid.class)
            .name("bids");
    return auctions
        .connect(bidStream)
        .keyBy(a -> a.id, b -> b.auction, Types.LONG)
        .process(new WinningBids())
        .returns(Q4Winner.class)
        .name("winning bids")
        .keyBy(w -> w.category, Types.LONG)
        .process(new AveragePerCategory())
        .returns(Q4Row.class)
        .name("average");
  }
}
