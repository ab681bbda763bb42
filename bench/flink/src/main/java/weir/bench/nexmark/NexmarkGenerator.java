package weir.bench.nexmark;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import weir.bench.nexmark.Model.Auction;
import weir.bench.nexmark.Model.Bid;
import weir.bench.nexmark.Model.Event;
import weir.bench.nexmark.Model.Person;

/**
 * bench/nexmark/generator.ts ported line by line: event {@code i} is a pure function of {@code i}
 * (its random numbers come from a generator seeded by the index), so the Flink source, Weir's
 * source, the fused loop and the RxJS pipeline see exactly the same events and every
 * implementation's checksum can be compared. The reference defaults (NexmarkConfiguration) are
 * fixed here, as the other implementations use them; only the event rate is configurable.
 */
public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Event time of event 0: 2015-07-15T00:00:00Z. */
  public static final long BASE_TIME = 1436918400000L;

  private static final int PERSON_PROPORTION = 1;
  private static final int AUCTION_PROPORTION = 3;
  private static final int TOTAL_PROPORTION = 50;
  private static final int HOT_AUCTION_RATIO = 2;
  private static final int HOT_SELLERS_RATIO = 4;
  private static final int HOT_BIDDERS_RATIO = 4;
  private static final int NUM_IN_FLIGHT_AUCTIONS = 100;
  private static final int NUM_ACTIVE_PEOPLE = 1000;
  private static final int AVG_PERSON_BYTE_SIZE = 200;
  private static final int AVG_AUCTION_BYTE_SIZE = 500;
  private static final int AVG_BID_BYTE_SIZE = 100;

  private static final long FIRST_PERSON_ID = 1000;
  private static final long FIRST_AUCTION_ID = 1000;
  private static final long FIRST_CATEGORY_ID = 10;
  private static final int NUM_CATEGORIES = 5;
  private static final long HOT_AUCTION_BATCH = 100;
  private static final long HOT_SELLER_BATCH = 100;
  private static final long HOT_BIDDER_BATCH = 100;
  private static final long PERSON_ID_LEAD = 10;
  private static final long AUCTION_ID_LEAD = 10;
  private static final int MIN_STRING_LENGTH = 3;

  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] US_CITIES = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"
  };
  private static final String[] FIRST_NAMES = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"
  };
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final String[] DIGITS4 = new String[10_000];

  private static final int TEXT_LENGTH = 1 << 14;
  private static final int EXTRA_VARIANTS = 64;
  private static final String TEXT = randomText(TEXT_LENGTH, 0x6e65786d, true);
  private static final String LETTER_TEXT = randomText(TEXT_LENGTH, 0x61726b21, false);
  /** Letter strings by length, EXTRA_VARIANTS of each, made on first use (as generator.ts does). */
  private static final String[] EXTRAS = new String[1024 * EXTRA_VARIANTS];

  static {
    for (int i = 0; i < DIGITS4.length; i++) DIGITS4[i] = String.format("%04d", i);
  }

  private final double interEventDelayUs;
  private final long numEventsForAuctions;
  private transient Rng rng;

  public NexmarkGenerator(double ratePerSecond) {
    if (!(ratePerSecond > 0)) throw new IllegalArgumentException("Nexmark: ratePerSecond must be positive, got " + ratePerSecond);
    this.interEventDelayUs = 1_000_000 / ratePerSecond;
    this.numEventsForAuctions = (NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION;
  }

  private static String randomText(int length, int seed, boolean spaces) {
    Rng r = new Rng();
    r.seed(seed);
    byte[] codes = new byte[length];
    for (int i = 0; i < length; i++) codes[i] = (byte) (spaces && r.nextInt(13) == 0 ? 32 : 97 + r.nextInt(26));
    return new String(codes, StandardCharsets.ISO_8859_1);
  }

  private static String letters(int length, int variant) {
    int k = length * EXTRA_VARIANTS + variant;
    String s = k < EXTRAS.length ? EXTRAS[k] : null;
    if (s == null) {
      String src = LETTER_TEXT;
      int at = (variant * 7919 + length * 104729) % Math.max(1, src.length() - length);
      if (length < src.length()) s = src.substring(at, at + length);
      else s = src.repeat((length + src.length() - 1) / src.length()).substring(0, length);
      if (k < EXTRAS.length) EXTRAS[k] = s;
    }
    return s;
  }

  /** Event time of event {@code index} (non-decreasing in the index). */
  public long timestamp(long index) {
    return BASE_TIME + (long) Math.floor((index * interEventDelayUs) / 1000);
  }

  /** Event {@code index} (a new object each call). */
  public Event event(long index) {
    if (rng == null) rng = new Rng();
    long rem = index % TOTAL_PROPORTION;
    long ts = timestamp(index);
    rng.seed(index);
    Event e = new Event();
    if (rem < PERSON_PROPORTION) {
      e.type = Model.PERSON;
      e.person = person(index, ts);
    } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
      e.type = Model.AUCTION;
      e.auction = auction(index, ts);
    } else {
      e.type = Model.BID;
      e.bid = bid(index, ts);
    }
    return e;
  }

  // ------------------------------------------------------------------ ids

  private static long lastBase0PersonId(long eventId) {
    long epoch = eventId / TOTAL_PROPORTION;
    long offset = eventId % TOTAL_PROPORTION;
    if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
    return epoch * PERSON_PROPORTION + offset;
  }

  private static long lastBase0AuctionId(long eventId) {
    long epoch = eventId / TOTAL_PROPORTION;
    long offset = eventId % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION) {
      epoch--;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  private long nextBase0PersonId(long eventId) {
    long numPeople = lastBase0PersonId(eventId) + 1;
    long activePeople = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
    return numPeople - activePeople + rng.nextLong(activePeople + PERSON_ID_LEAD);
  }

  private long nextBase0AuctionId(long eventId) {
    long maxAuction = lastBase0AuctionId(eventId);
    long minAuction = Math.max(maxAuction - NUM_IN_FLIGHT_AUCTIONS, 0);
    return minAuction + rng.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  // ------------------------------------------------------------------ values

  private long nextPrice() {
    // StrictMath: fdlibm's pow, as V8 computes Math.pow
    return Math.round(StrictMath.pow(10, rng.nextDouble() * 6) * 100);
  }

  private String nextString(int maxLength) {
    int len = MIN_STRING_LENGTH + (int) rng.nextInt(maxLength - MIN_STRING_LENGTH);
    int at = (int) rng.nextInt(TEXT.length() - len);
    return TEXT.substring(at, at + len).trim();
  }

  private String nextExactString(int length) {
    return letters(length, (int) rng.nextInt(EXTRA_VARIANTS));
  }

  private String nextExtra(int currentSize, int desiredAverageSize) {
    if (currentSize > desiredAverageSize) return "";
    int rest = desiredAverageSize - currentSize;
    int delta = (int) Math.round(rest * 0.2);
    int minSize = rest - delta;
    return nextExactString(minSize + (delta == 0 ? 0 : (int) rng.nextInt(2L * delta)));
  }

  private Person person(long eventId, long ts) {
    Rng r = rng;
    Person p = new Person();
    p.id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    p.name = FIRST_NAMES[(int) r.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[(int) r.nextInt(LAST_NAMES.length)];
    p.emailAddress = nextString(7) + "@" + nextString(5) + ".com";
    p.creditCard =
        DIGITS4[(int) r.nextInt(10_000)]
            + " "
            + DIGITS4[(int) r.nextInt(10_000)]
            + " "
            + DIGITS4[(int) r.nextInt(10_000)]
            + " "
            + DIGITS4[(int) r.nextInt(10_000)];
    p.city = US_CITIES[(int) r.nextInt(US_CITIES.length)];
    p.state = US_STATES[(int) r.nextInt(US_STATES.length)];
    p.dateTime = ts;
    int size = 8 + p.name.length() + p.emailAddress.length() + p.creditCard.length() + p.city.length() + p.state.length();
    p.extra = nextExtra(size, AVG_PERSON_BYTE_SIZE);
    return p;
  }

  private Auction auction(long eventId, long ts) {
    Rng r = rng;
    Auction a = new Auction();
    a.id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    long seller;
    if (r.nextInt(HOT_SELLERS_RATIO) > 0) {
      seller = Math.floorDiv(lastBase0PersonId(eventId), HOT_SELLER_BATCH) * HOT_SELLER_BATCH;
    } else seller = nextBase0PersonId(eventId);
    a.seller = seller + FIRST_PERSON_ID;
    a.category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    a.initialBid = nextPrice();
    long horizonMs = timestamp(eventId + numEventsForAuctions) - ts;
    a.expires = ts + 1 + r.nextLong(Math.max(horizonMs * 2, 1));
    a.itemName = nextString(20);
    a.description = nextString(100);
    a.reserve = a.initialBid + nextPrice();
    a.dateTime = ts;
    int size = 8 + a.itemName.length() + a.description.length() + 8 + 8 + 8 + 8 + 8;
    a.extra = nextExtra(size, AVG_AUCTION_BYTE_SIZE);
    return a;
  }

  private Bid bid(long eventId, long ts) {
    Rng r = rng;
    long auction;
    if (r.nextInt(HOT_AUCTION_RATIO) > 0) {
      auction = Math.floorDiv(lastBase0AuctionId(eventId), HOT_AUCTION_BATCH) * HOT_AUCTION_BATCH;
    } else auction = nextBase0AuctionId(eventId);
    auction += FIRST_AUCTION_ID;
    long bidder;
    if (r.nextInt(HOT_BIDDERS_RATIO) > 0) {
      bidder = Math.floorDiv(lastBase0PersonId(eventId), HOT_BIDDER_BATCH) * HOT_BIDDER_BATCH + 1;
    } else bidder = nextBase0PersonId(eventId);
    bidder += FIRST_PERSON_ID;
    long price = nextPrice();
    String extra = nextExtra(8 + 8 + 8 + 8, AVG_BID_BYTE_SIZE);
    return new Bid(auction, bidder, price, ts, extra);
  }
}
