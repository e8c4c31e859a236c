/*  =========================================================================
    zyn_decimal - DynamoDB numbers: exact decimals of up to 38 significant
    digits with exponents from 1E-130 to 9.99..9E+125

    Owns the number type every other module relies on: parsing and
    normalising decimal text, the canonical text DynamoDB returns, exact
    comparison and arithmetic (UpdateExpression "a + :v", ADD), the item
    size DynamoDB counts for a number, and an order-preserving key encoding.

    Rules followed, each taken from DynamoDB's behaviour:

    * Text accepted: an optional sign ("+" or "-"), digits with at most one
      point and at least one digit ("1.", ".5"), an optional exponent
      ("e"/"E", optional sign, at least one digit). Nothing else: no
      whitespace, no "NaN", no "Infinity", no hex. Anything else gives
      "A value provided cannot be converted into a number".
    * Significant digits are counted after trimming leading and trailing
      zeros, so "1500" has 2 and "1" followed by 125 zeros has 1. More than
      38 gives "Attempting to store more than 38 significant digits in a
      Number"; this is checked before the range.
    * The range is 1E-130 <= |x| < 1E+126, or zero, else "Number overflow.
      ..." / "Number underflow. ..." with DynamoDB's full sentences.
    * Canonical text is plain notation, never scientific: "1E2" -> "100",
      "0.00100" -> "0.001", "-0" -> "0". The longest one, a 38-digit
      number near 1E-130, is 170 characters; see ZYN_DECIMAL_TEXT_MAX.
    * Arithmetic is exact. When the exact sum or difference needs more
      than 38 significant digits (1E+50 + 1) DynamoDB does not round: it
      refuses, and with the message "Number overflow. Attempting to store a
      number with magnitude larger than supported range" (observed on
      DynamoDB, odd as it is for a precision problem). We do the same. A
      result past 9.99..9E+125 gives the same message; a non-zero result
      below 1E-130 gives the underflow message.
    * Item size: 1 byte, plus one per pair of digits counted in base 100
      from the decimal point (DynamoDB stores numbers in centesimal digits,
      as Oracle's NUMBER does), plus 1 for a negative number; zero is 1.
      This is the documented "1 byte per two significant digits, plus 1"
      made exact: "15" is 2, "1.5" is 3 (the digits straddle the point),
      "3.14159" is 5, "123456" is 4, "-42" is 3.

    Key encoding (memcmp order is numeric order, self-delimiting):
        negative:  0x10 | ~(exponent + 129) | ~pair ... | 0xFF
        zero:      0x20
        positive:  0x30 | exponent + 129 | pair ... | 0x00
    where the value is 0.d1d2d3... x 10^exponent (exponent -129 .. 126),
    and each pair is two digits as 1 + d1 * 10 + d2 (1 .. 100), the last
    padded with a zero digit. The terminator sorts below every pair, so a
    shorter digit string (a prefix) sorts first; for negative numbers
    every byte after the class is inverted, which reverses the order.
    At most 1 + 1 + 19 + 1 = 22 bytes.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_decimal.h"

//  Exponent bounds in our 0.ddd x 10^exponent form: 1E-130 is 0.1E-129,
//  9.99..9E+125 is 0.999..9E+126
#define S_EXPONENT_MIN (-129)
#define S_EXPONENT_MAX 126

#define S_KEY_NEGATIVE 0x10
#define S_KEY_ZERO 0x20
#define S_KEY_POSITIVE 0x30

//  Widest aligned sum: digit positions from 10^126 down to 10^-167, plus a
//  carry and some slack
#define S_WORK_DIGITS 320

static const char s_msg_not_a_number []
    = "A value provided cannot be converted into a number";
static const char s_msg_too_precise []
    = "Attempting to store more than 38 significant digits in a Number";
static const char s_msg_overflow []
    = "Number overflow. Attempting to store a number with magnitude larger "
      "than supported range";
static const char s_msg_underflow []
    = "Number underflow. Attempting to store a number with magnitude "
      "smaller than supported range";


//  --------------------------------------------------------------------------
//  Set self to zero

static void
s_set_zero (zyn_decimal_t *self)
{
    memset (self, 0, sizeof (*self));
}


//  --------------------------------------------------------------------------
//  Parse size bytes of decimal text. Returns 0, or -1 with DynamoDB's
//  ValidationException message in err.

int
zyn_decimal_parse (zyn_decimal_t *self, const char *text, size_t size,
                   zyn_error_t *err)
{
    assert (self);
    s_set_zero (self);
    if (!text)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_not_a_number);
    size_t pos = 0;
    bool negative = false;
    if (pos < size && (text [pos] == '+' || text [pos] == '-')) {
        negative = text [pos] == '-';
        pos++;
    }
    //  Walk the mantissa once, keeping only significant digits. Zeros after
    //  the first non-zero digit are held back (pending) until a later
    //  non-zero digit shows they are not trailing. exponent counts integer
    //  digits from the first significant one, or minus the fraction's
    //  leading zeros.
    bool seen_point = false;
    bool seen_digit = false;
    bool seen_nonzero = false;
    bool too_precise = false;
    int64_t exponent = 0;
    size_t pending_zeros = 0;
    size_t ndigits = 0;
    for (; pos < size; pos++) {
        char c = text [pos];
        if (c == '.') {
            if (seen_point)
                return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                                      s_msg_not_a_number);
            seen_point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        seen_digit = true;
        int digit = c - '0';
        if (!seen_nonzero) {
            if (digit == 0) {
                if (seen_point)
                    exponent--;
                continue;
            }
            seen_nonzero = true;
        }
        if (!seen_point)
            exponent++;
        if (digit == 0) {
            pending_zeros++;
            continue;
        }
        if (ndigits + pending_zeros + 1 > ZYN_DECIMAL_DIGITS)
            too_precise = true;
        else {
            while (pending_zeros) {
                self->digits [ndigits++] = 0;
                pending_zeros--;
            }
            self->digits [ndigits++] = (uint8_t) digit;
        }
        pending_zeros = 0;
    }
    if (!seen_digit)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_not_a_number);
    //  Exponent part: saturate far beyond the range so that huge exponents
    //  still overflow or underflow rather than wrap
    int64_t exponent_part = 0;
    if (pos < size && (text [pos] == 'e' || text [pos] == 'E')) {
        pos++;
        bool exponent_negative = false;
        if (pos < size && (text [pos] == '+' || text [pos] == '-')) {
            exponent_negative = text [pos] == '-';
            pos++;
        }
        bool exponent_digit = false;
        for (; pos < size && text [pos] >= '0' && text [pos] <= '9'; pos++) {
            exponent_digit = true;
            if (exponent_part < 1000000000)
                exponent_part = exponent_part * 10 + (text [pos] - '0');
        }
        if (!exponent_digit)
            return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                                  s_msg_not_a_number);
        if (exponent_negative)
            exponent_part = -exponent_part;
    }
    if (pos != size)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_not_a_number);
    if (!seen_nonzero)
        return 0;               //  Zero, whatever its sign and exponent
    if (too_precise)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_too_precise);
    exponent += exponent_part;
    if (exponent > S_EXPONENT_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_overflow);
    if (exponent < S_EXPONENT_MIN)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_underflow);
    self->negative = negative;
    self->ndigits = (uint8_t) ndigits;
    self->exponent = (int32_t) exponent;
    return 0;
}


//  --------------------------------------------------------------------------
//  Write the canonical text of self into buf (ZYN_DECIMAL_TEXT_MAX bytes),
//  NUL-terminated; returns its length.

size_t
zyn_decimal_format (const zyn_decimal_t *self, char *buf)
{
    assert (self);
    assert (buf);
    size_t len = 0;
    if (self->ndigits == 0) {
        buf [len++] = '0';
        buf [len] = 0;
        return len;
    }
    if (self->negative)
        buf [len++] = '-';
    if (self->exponent <= 0) {
        buf [len++] = '0';
        buf [len++] = '.';
        for (int32_t i = 0; i < -self->exponent; i++)
            buf [len++] = '0';
        for (int i = 0; i < self->ndigits; i++)
            buf [len++] = (char) ('0' + self->digits [i]);
    }
    else {
        //  Integer part: the digits, then zeros up to the point
        for (int32_t i = 0; i < self->exponent; i++)
            buf [len++] = i < self->ndigits
                        ? (char) ('0' + self->digits [i]) : '0';
        if (self->ndigits > self->exponent) {
            buf [len++] = '.';
            for (int i = self->exponent; i < self->ndigits; i++)
                buf [len++] = (char) ('0' + self->digits [i]);
        }
    }
    assert (len < ZYN_DECIMAL_TEXT_MAX);
    buf [len] = 0;
    return len;
}


//  --------------------------------------------------------------------------
//  True if text is an integer in canonical form; see the header.

bool
zyn_decimal_is_canonical_integer (const char *text, size_t size)
{
    size_t start = size && text [0] == '-' ? 1 : 0;
    if (size == start || size - start > ZYN_DECIMAL_DIGITS)
        return false;
    if (text [start] == '0')
        return size == 1;
    for (size_t i = start; i < size; i++)
        if (text [i] < '0' || text [i] > '9')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Parse and re-format in one step. Returns the canonical length, or -1
//  with err.

int
zyn_decimal_normalize (const char *text, size_t size, char *out,
                       zyn_error_t *err)
{
    zyn_decimal_t number;
    if (zyn_decimal_parse (&number, text, size, err))
        return -1;
    return (int) zyn_decimal_format (&number, out);
}


//  --------------------------------------------------------------------------
//  Compare magnitudes only: <0, 0, >0

static int
s_compare_magnitude (const zyn_decimal_t *a, const zyn_decimal_t *b)
{
    if (a->ndigits == 0 || b->ndigits == 0)
        return (a->ndigits != 0) - (b->ndigits != 0);
    if (a->exponent != b->exponent)
        return a->exponent < b->exponent ? -1 : 1;
    int common = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    for (int i = 0; i < common; i++)
        if (a->digits [i] != b->digits [i])
            return a->digits [i] < b->digits [i] ? -1 : 1;
    return (a->ndigits > b->ndigits) - (a->ndigits < b->ndigits);
}


//  --------------------------------------------------------------------------
//  Compare numerically: <0, 0, >0.

int
zyn_decimal_compare (const zyn_decimal_t *a, const zyn_decimal_t *b)
{
    assert (a);
    assert (b);
    int sign_a = a->ndigits == 0 ? 0 : a->negative ? -1 : 1;
    int sign_b = b->ndigits == 0 ? 0 : b->negative ? -1 : 1;
    if (sign_a != sign_b)
        return sign_a < sign_b ? -1 : 1;
    if (sign_a == 0)
        return 0;
    int magnitude = s_compare_magnitude (a, b);
    return sign_a < 0 ? -magnitude : magnitude;
}


//  --------------------------------------------------------------------------
//  Spread the digits of number into work, where work [i] holds the digit
//  of weight 10^(bottom + i)

static void
s_spread (const zyn_decimal_t *number, int32_t bottom, uint8_t *work)
{
    for (int i = 0; i < number->ndigits; i++) {
        int32_t weight = number->exponent - 1 - i;
        work [weight - bottom] = number->digits [i];
    }
}


//  --------------------------------------------------------------------------
//  result = a + b (or a - b if negate_b), exact; the one routine behind
//  add and subtract

static int
s_add (const zyn_decimal_t *a, const zyn_decimal_t *b, bool negate_b,
       zyn_decimal_t *result, zyn_error_t *err)
{
    assert (a);
    assert (b);
    assert (result);
    bool b_negative = b->ndigits && (b->negative != negate_b);
    if (b->ndigits == 0) {
        *result = *a;
        return 0;
    }
    if (a->ndigits == 0) {
        *result = *b;
        result->negative = b_negative;
        return 0;
    }
    //  Align both on a common scale of digit weights. bottom is the weight
    //  of the lowest digit either has; the top slot takes a carry.
    int32_t bottom_a = a->exponent - a->ndigits;
    int32_t bottom_b = b->exponent - b->ndigits;
    int32_t bottom = bottom_a < bottom_b ? bottom_a : bottom_b;
    int32_t top = a->exponent > b->exponent ? a->exponent : b->exponent;
    int32_t width = top - bottom + 1;
    assert (width > 0 && width <= S_WORK_DIGITS);
    uint8_t work_a [S_WORK_DIGITS] = { 0 };
    uint8_t work_b [S_WORK_DIGITS] = { 0 };
    s_spread (a, bottom, work_a);
    s_spread (b, bottom, work_b);

    uint8_t sum [S_WORK_DIGITS] = { 0 };
    bool negative;
    if (a->negative == b_negative) {
        negative = a->negative;
        int carry = 0;
        for (int32_t i = 0; i < width; i++) {
            int digit = work_a [i] + work_b [i] + carry;
            carry = digit >= 10;
            sum [i] = (uint8_t) (digit - (carry ? 10 : 0));
        }
        assert (carry == 0);
    }
    else {
        //  Subtract the smaller magnitude from the larger; the result takes
        //  the sign of the larger
        int magnitude = s_compare_magnitude (a, b);
        if (magnitude == 0) {
            s_set_zero (result);
            return 0;
        }
        const uint8_t *large = magnitude > 0 ? work_a : work_b;
        const uint8_t *small = magnitude > 0 ? work_b : work_a;
        negative = magnitude > 0 ? a->negative : b_negative;
        int borrow = 0;
        for (int32_t i = 0; i < width; i++) {
            int digit = large [i] - small [i] - borrow;
            borrow = digit < 0;
            sum [i] = (uint8_t) (digit + (borrow ? 10 : 0));
        }
        assert (borrow == 0);
    }
    //  Trim: highest non-zero digit down to lowest non-zero digit
    int32_t high = width - 1;
    while (high >= 0 && sum [high] == 0)
        high--;
    assert (high >= 0);
    int32_t low = 0;
    while (sum [low] == 0)
        low++;
    int32_t exponent = bottom + high + 1;
    if (high - low + 1 > ZYN_DECIMAL_DIGITS || exponent > S_EXPONENT_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_msg_overflow);
    if (exponent < S_EXPONENT_MIN)
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                              s_msg_underflow);
    s_set_zero (result);
    result->negative = negative;
    result->exponent = exponent;
    for (int32_t i = high; i >= low; i--)
        result->digits [result->ndigits++] = sum [i];
    return 0;
}


//  --------------------------------------------------------------------------
//  result = a + b, exact. Returns 0, or -1 with DynamoDB's message.

int
zyn_decimal_add (const zyn_decimal_t *a, const zyn_decimal_t *b,
                 zyn_decimal_t *result, zyn_error_t *err)
{
    return s_add (a, b, false, result, err);
}


//  --------------------------------------------------------------------------
//  result = a - b, exact. Returns 0, or -1 with DynamoDB's message.

int
zyn_decimal_subtract (const zyn_decimal_t *a, const zyn_decimal_t *b,
                      zyn_decimal_t *result, zyn_error_t *err)
{
    return s_add (a, b, true, result, err);
}


//  --------------------------------------------------------------------------
//  Set self to an integer.

void
zyn_decimal_from_int64 (zyn_decimal_t *self, int64_t number)
{
    assert (self);
    s_set_zero (self);
    if (number == 0)
        return;
    //  Negate in unsigned arithmetic so INT64_MIN works
    uint64_t magnitude = number < 0 ? 0 - (uint64_t) number
                                    : (uint64_t) number;
    uint8_t reversed [20];
    int count = 0;
    while (magnitude) {
        reversed [count++] = (uint8_t) (magnitude % 10);
        magnitude /= 10;
    }
    self->negative = number < 0;
    self->exponent = count;
    int first = 0;
    while (reversed [first] == 0)
        first++;                //  Trailing zeros are not digits
    for (int i = count - 1; i >= first; i--)
        self->digits [self->ndigits++] = reversed [i];
}


//  --------------------------------------------------------------------------
//  If self is an integer within int64_t, store it and return 0; else -1.

int
zyn_decimal_to_int64 (const zyn_decimal_t *self, int64_t *number)
{
    assert (self);
    assert (number);
    if (self->ndigits == 0) {
        *number = 0;
        return 0;
    }
    if (self->exponent < self->ndigits || self->exponent > 19)
        return -1;              //  A fraction, or too many digits
    uint64_t magnitude = 0;
    for (int32_t i = 0; i < self->exponent; i++) {
        uint64_t digit = i < self->ndigits ? self->digits [i] : 0;
        if (magnitude > (UINT64_MAX - digit) / 10)
            return -1;
        magnitude = magnitude * 10 + digit;
    }
    if (self->negative) {
        if (magnitude > (uint64_t) INT64_MAX + 1)
            return -1;
        *number = magnitude == (uint64_t) INT64_MAX + 1
                ? INT64_MIN : -(int64_t) magnitude;
    }
    else {
        if (magnitude > (uint64_t) INT64_MAX)
            return -1;
        *number = (int64_t) magnitude;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  The value as a double (approximate).

double
zyn_decimal_to_double (const zyn_decimal_t *self)
{
    assert (self);
    //  Accumulate the digits as an integer mantissa, then scale once: an
    //  approximation, good to about 15 significant digits
    double mantissa = 0;
    for (int i = 0; i < self->ndigits; i++)
        mantissa = mantissa * 10 + self->digits [i];
    double value = mantissa * pow (10, self->exponent - self->ndigits);
    return self->negative ? -value : value;
}


//  --------------------------------------------------------------------------
//  Encode into buf (ZYN_DECIMAL_KEY_MAX bytes) so that memcmp order is
//  numeric order; self-delimiting. Returns its length.

size_t
zyn_decimal_encode_key (const zyn_decimal_t *self, uint8_t *buf)
{
    assert (self);
    assert (buf);
    if (self->ndigits == 0) {
        buf [0] = S_KEY_ZERO;
        return 1;
    }
    uint8_t invert = self->negative ? 0xFF : 0x00;
    size_t len = 0;
    buf [len++] = self->negative ? S_KEY_NEGATIVE : S_KEY_POSITIVE;
    buf [len++] = (uint8_t) (self->exponent - S_EXPONENT_MIN) ^ invert;
    for (int i = 0; i < self->ndigits; i += 2) {
        int low = i + 1 < self->ndigits ? self->digits [i + 1] : 0;
        buf [len++] = (uint8_t) (1 + self->digits [i] * 10 + low) ^ invert;
    }
    buf [len++] = 0x00 ^ invert;
    assert (len <= ZYN_DECIMAL_KEY_MAX);
    return len;
}


//  --------------------------------------------------------------------------
//  Decode a key encoding from the start of data. Returns the bytes used,
//  or 0 if data is not a valid encoding.

size_t
zyn_decimal_decode_key (zyn_decimal_t *self, const uint8_t *data,
                        size_t size)
{
    assert (self);
    s_set_zero (self);
    if (!data || size == 0)
        return 0;
    if (data [0] == S_KEY_ZERO)
        return 1;
    if (data [0] != S_KEY_NEGATIVE && data [0] != S_KEY_POSITIVE)
        return 0;
    bool negative = data [0] == S_KEY_NEGATIVE;
    uint8_t invert = negative ? 0xFF : 0x00;
    if (size < 3)
        return 0;
    int32_t exponent = (int32_t) (data [1] ^ invert) + S_EXPONENT_MIN;
    size_t pos = 2;
    zyn_decimal_t number = { 0 };
    while (true) {
        if (pos >= size)
            return 0;           //  No terminator
        uint8_t pair = data [pos++] ^ invert;
        if (pair == 0)
            break;
        if (pair > 100 || number.ndigits >= ZYN_DECIMAL_DIGITS)
            return 0;
        number.digits [number.ndigits++] = (uint8_t) ((pair - 1) / 10);
        number.digits [number.ndigits++] = (uint8_t) ((pair - 1) % 10);
    }
    //  Canonical digits only: at least one pair, no leading zero, and the
    //  last pair holds one digit of padding at most
    if (number.ndigits == 0 || number.digits [0] == 0)
        return 0;
    if (number.digits [number.ndigits - 1] == 0)
        number.ndigits--;
    if (number.digits [number.ndigits - 1] == 0)
        return 0;
    number.negative = negative;
    number.exponent = exponent;
    *self = number;
    return pos;
}


//  --------------------------------------------------------------------------
//  The bytes DynamoDB counts for this number in item size.

size_t
zyn_decimal_storage_size (const zyn_decimal_t *self)
{
    assert (self);
    if (self->ndigits == 0)
        return 1;
    //  Digit i has weight 10^(exponent - 1 - i); base-100 digit k holds
    //  weights 10^(2k) and 10^(2k+1). Count base-100 digits from the first
    //  significant digit to the last, using floor division.
    int32_t high = self->exponent - 1;
    int32_t low = self->exponent - self->ndigits;
    int32_t high_pair = high >= 0 ? high / 2 : -((-high + 1) / 2);
    int32_t low_pair = low >= 0 ? low / 2 : -((-low + 1) / 2);
    return 1 + (size_t) (high_pair - low_pair + 1) + (self->negative ? 1 : 0);
}
