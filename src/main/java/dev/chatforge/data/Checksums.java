package dev.chatforge.data;

/**
 * The check digits that tell a real payment card or IBAN from any other long number: a random
 * 16-digit order number passes Luhn one time in ten, a random IBAN-shaped string passes mod-97
 * one time in 97, so requiring them keeps order numbers, tracking numbers and ids out of the
 * redaction.
 */
final class Checksums {
    private Checksums() {}

    /** The Luhn (mod-10) check of a payment card number: the digits of {@code s} only, others skipped. */
    static boolean luhn(CharSequence s, int start, int end) {
        int sum = 0;
        boolean twice = false;
        for (int i = end - 1; i >= start; i--) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                continue;
            }
            int d = c - '0';
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }

    /**
     * The ISO 13616 check of an IBAN (spaces skipped, letters in either case): the first four
     * characters moved to the end, letters as 10..35, the number mod 97 must be 1.
     */
    static boolean iban(CharSequence s, int start, int end) {
        int remainder = 0;
        int length = 0;
        for (int pass = 0; pass < 2; pass++) {
            int seen = 0;
            for (int i = start; i < end; i++) {
                char c = s.charAt(i);
                if (c == ' ') {
                    continue;
                }
                boolean head = seen++ < 4;
                if (head != (pass == 1)) {
                    continue;  // pass 0: from the fifth character on; pass 1: the first four
                }
                int value;
                if (c >= '0' && c <= '9') {
                    value = c - '0';
                    remainder = (remainder * 10 + value) % 97;
                } else {
                    char upper = Character.toUpperCase(c);
                    if (upper < 'A' || upper > 'Z') {
                        return false;
                    }
                    value = upper - 'A' + 10;
                    remainder = (remainder * 100 + value) % 97;
                }
                length++;
            }
        }
        return length >= 15 && length <= 34 && remainder == 1;
    }
}
