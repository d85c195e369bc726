package io.icebergonline.job.pipeline;

/**
 * Epoch microseconds of an ISO-8601 instant in the shapes producers write, read straight from the
 * characters: {@code 2024-05-01T12:00:00Z}, with a fraction of 1 to 9 digits, with a {@code Z} or
 * a {@code +hh:mm} / {@code -hh:mm} offset, within {@link JsonValues#EARLIEST}..{@link
 * JsonValues#LATEST}. Anything else is {@link #NOT_READ}, and the caller takes {@link JsonValues}'
 * java.time path, which gives the same value for these shapes and the value or the error for all
 * others. Hand-rolled because a profile of the materialization measured {@code Instant.parse} at
 * about 20% of the parse thread.
 */
final class IsoInstants {
  /** What {@link #epochMicros} returns for text it leaves to java.time. */
  static final long NOT_READ = Long.MIN_VALUE;

  private static final long EARLIEST_SECOND = JsonValues.EARLIEST.getEpochSecond();
  private static final long LATEST_SECOND = JsonValues.LATEST.getEpochSecond();
  private static final int LATEST_NANO = JsonValues.LATEST.getNano();
  private static final int SHORTEST = "0000-00-00T00:00:00Z".length();
  private static final int MAX_OFFSET_SECONDS = 18 * 3600;
  /** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
  private static final long DAYS_TO_EPOCH = 719_468;

  private IsoInstants() {}

  /** The instant in {@code text[start, start + length)} truncated to microseconds, or {@link #NOT_READ}. */
  static long epochMicros(char[] text, int start, int length) {
    if (length < SHORTEST) {
      return NOT_READ;
    }
    int end = start + length;
    int year = digits(text, start, 4);
    int month = digits(text, start + 5, 2);
    int day = digits(text, start + 8, 2);
    int hour = digits(text, start + 11, 2);
    int minute = digits(text, start + 14, 2);
    int second = digits(text, start + 17, 2);
    if (text[start + 4] != '-' || text[start + 7] != '-' || text[start + 10] != 'T' || text[start + 13] != ':'
        || text[start + 16] != ':' || year < 1 || month < 1 || month > 12 || day < 1
        || day > lengthOfMonth(year, month) || (hour | minute | second) < 0 || hour > 23 || minute > 59
        || second > 59) {
      return NOT_READ; // a negative field holds a non-digit
    }
    int position = start + 19;
    int nano = 0;
    if (text[position] == '.') {
      int first = ++position;
      while (position < end && position - first < 9 && isDigit(text[position])) {
        nano = nano * 10 + (text[position++] - '0');
      }
      int fractionDigits = position - first;
      if (fractionDigits == 0 || position < end && isDigit(text[position])) {
        return NOT_READ; // no digit, or more than nine
      }
      for (int i = fractionDigits; i < 9; i++) {
        nano *= 10;
      }
    }
    int offsetSeconds;
    if (end - position == 1 && text[position] == 'Z') {
      offsetSeconds = 0;
    } else if (end - position == 6 && (text[position] == '+' || text[position] == '-') && text[position + 3] == ':') {
      int offsetHours = digits(text, position + 1, 2);
      int offsetMinutes = digits(text, position + 4, 2);
      offsetSeconds = offsetHours * 3600 + offsetMinutes * 60;
      if (offsetHours < 0 || offsetMinutes < 0 || offsetMinutes > 59 || offsetSeconds > MAX_OFFSET_SECONDS) {
        return NOT_READ;
      }
      if (text[position] == '-') {
        offsetSeconds = -offsetSeconds;
      }
    } else {
      return NOT_READ;
    }
    long epochSecond = epochDay(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
    if (epochSecond < EARLIEST_SECOND || epochSecond > LATEST_SECOND
        || epochSecond == LATEST_SECOND && nano > LATEST_NANO) {
      return NOT_READ;
    }
    return epochSecond * 1_000_000 + nano / 1_000;
  }

  /** The value of {@code count} decimal digits at {@code position}, negative if one is not a digit. */
  private static int digits(char[] text, int position, int count) {
    int value = 0;
    for (int i = position; i < position + count; i++) {
      if (!isDigit(text[i])) {
        return -1;
      }
      value = value * 10 + (text[i] - '0');
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int lengthOfMonth(int year, int month) {
    return switch (month) {
      case 2 -> isLeap(year) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  private static boolean isLeap(int year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  }

  /** Days since 1970-01-01 of a date in years 1..9999 (H. Hinnant's days_from_civil, years counted from March). */
  private static long epochDay(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = y / 400;
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return (long) era * 146_097 + dayOfEra - DAYS_TO_EPOCH;
  }
}
