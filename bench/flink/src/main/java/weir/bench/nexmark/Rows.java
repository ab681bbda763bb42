package weir.bench.nexmark;

import static weir.bench.nexmark.Checksum.hashEnd;
import static weir.bench.nexmark.Checksum.hashNum;
import static weir.bench.nexmark.Checksum.hashStr;

import java.util.ArrayList;
import java.util.List;
import weir.bench.nexmark.Model.Bid;

/** Result and intermediate rows of the queries (bench/nexmark/queries.ts), and the row hashes. */
public final class Rows {
  private Rows() {}

  public static final class Q2Row {
    public long auction;
    public double price;

    public Q2Row() {}

    public Q2Row(long auction, double price) {
      this.auction = auction;
      this.price = price;
    }
  }

  public static final class Q3Row {
    public String name;
    public String city;
    public String state;
    public long id;

    public Q3Row() {}

    public Q3Row(String name, String city, String state, long id) {
      this.name = name;
      this.city = city;
      this.state = state;
      this.id = id;
    }
  }

  public static final class Q3Auction {
    public long id;
    public long seller;

    public Q3Auction() {}
  }

  public static final class Q3Person {
    public long id;
    public String name;
    public String city;
    public String state;

    public Q3Person() {}
  }

  public static final class Q4Auction {
    public long id;
    public long category;
    public long dateTime;
    public long expires;

    public Q4Auction() {}
  }

  public static final class Q4Bid {
    public long auction;
    public double price;
    public long dateTime;

    public Q4Bid() {}
  }

  public static final class Q4Winner {
    public long category;
    public double price;

    public Q4Winner() {}
  }

  /** An open auction and its best valid bid so far (-1: none); closed once cleanupAt is set. */
  public static final class OpenAuction {
    public long category;
    public long dateTime;
    public long expires;
    public double max;
    public long cleanupAt = Long.MIN_VALUE;

    public OpenAuction() {}
  }

  public static final class Q4Row {
    public long category;
    public double avg;

    public Q4Row() {}

    public Q4Row(long category, double avg) {
      this.category = category;
      this.avg = avg;
    }
  }

  public static final class Sum {
    public double sum;
    public long n;

    public Sum() {}
  }

  public static final class Q5Row {
    public long auction;
    public long num;
    public long start;

    public Q5Row() {}

    public Q5Row(long auction, long num, long start) {
      this.auction = auction;
      this.num = num;
      this.start = start;
    }
  }

  /** The auctions with the highest count so far in one window. */
  public static final class Hottest {
    public long num;
    public List<Long> auctions = new ArrayList<>();

    public Hottest() {}
  }

  public static final class MaxBids {
    public double price = -1;
    public List<Bid> bids = new ArrayList<>();

    public MaxBids() {}
  }

  public static final class WindowMax {
    public long start;
    public double price;
    public List<Bid> bids;

    public WindowMax() {}
  }

  /** A person (name set) or an auction by seller {@code id} (name null). */
  public static final class Q8Side {
    public long id;
    public String name;

    public Q8Side() {}
  }

  public static final class Q8Acc {
    public String name;
    public boolean auction;

    public Q8Acc() {}
  }

  public static final class Q8Row {
    public long id;
    public String name;
    public long start;

    public Q8Row() {}

    public Q8Row(long id, String name, long start) {
      this.id = id;
      this.name = name;
      this.start = start;
    }
  }

  public static final class Q11Row {
    public long bidder;
    public long count;
    public long start;
    public long end;

    public Q11Row() {}

    public Q11Row(long bidder, long count, long start, long end) {
      this.bidder = bidder;
      this.count = count;
      this.start = start;
      this.end = end;
    }
  }

  public static int hashBid(Bid b) {
    int h = hashNum(0x62696400, b.auction);
    h = hashNum(h, b.bidder);
    h = hashNum(h, b.price);
    h = hashNum(h, b.dateTime);
    h = hashStr(h, b.extra);
    return hashEnd(h);
  }

  public static int hashQ2(Q2Row r) {
    return hashEnd(hashNum(hashNum(0x71320000, r.auction), r.price));
  }

  public static int hashQ3(Q3Row r) {
    int h = hashStr(0x71330000, r.name);
    h = hashStr(h, r.city);
    h = hashStr(h, r.state);
    return hashEnd(hashNum(h, r.id));
  }

  public static int hashQ4(Q4Row r) {
    return hashEnd(hashNum(hashNum(0x71340000, r.category), r.avg));
  }

  public static int hashQ5(Q5Row r) {
    return hashEnd(hashNum(hashNum(hashNum(0x71350000, r.auction), r.num), r.start));
  }

  public static int hashQ8(Q8Row r) {
    return hashEnd(hashNum(hashStr(hashNum(0x71380000, r.id), r.name), r.start));
  }

  public static int hashQ11(Q11Row r) {
    int h = hashNum(0x71313100, r.bidder);
    h = hashNum(h, r.count);
    h = hashNum(h, r.start);
    return hashEnd(hashNum(h, r.end));
  }
}
