package weir.bench.nexmark;

/**
 * The Nexmark data model (bench/nexmark/model.ts): people register, open auctions, and bid on them.
 * Public fields and no-argument constructors, so Flink serializes them as POJOs. Times are
 * milliseconds since the epoch.
 */
public final class Model {
  private Model() {}

  public static final int PERSON = 0;
  public static final int AUCTION = 1;
  public static final int BID = 2;

  public static final class Person {
    public long id;
    public String name;
    public String emailAddress;
    public String creditCard;
    public String city;
    public String state;
    public long dateTime;
    public String extra;

    public Person() {}
  }

  public static final class Auction {
    public long id;
    public String itemName;
    public String description;
    public long initialBid;
    public long reserve;
    public long dateTime;
    public long expires;
    public long seller;
    public long category;
    public String extra;

    public Auction() {}
  }

  public static final class Bid {
    public long auction;
    public long bidder;
    /** Integer cents for generated bids; q1 converts it (doubles hash like the JavaScript numbers they mirror). */
    public double price;
    public long dateTime;
    public String extra;

    public Bid() {}

    public Bid(long auction, long bidder, double price, long dateTime, String extra) {
      this.auction = auction;
      this.bidder = bidder;
      this.price = price;
      this.dateTime = dateTime;
      this.extra = extra;
    }
  }

  /** One event: exactly one of person, auction and bid is set, as {@code type} says. */
  public static final class Event {
    public int type;
    public Person person;
    public Auction auction;
    public Bid bid;

    public Event() {}
  }
}
