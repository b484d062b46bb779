package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedactorTest {
    private static final Redactor ALL = new Redactor(EnumSet.allOf(PiiType.class), Map.of());

    private static String redact(String s) {
        return ALL.redact(s, new CleaningTally(false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jane.doe@example.com", "J.Smith+shop@mail.example.co.uk", "o'brien_99@test-mail.de",
            "zoë.müller@beispiel.de"})
    void emailsAreRedacted(String email) {
        assertEquals("Write to <email> please.", redact("Write to " + email + " please."));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Follow @chatforge for news.", "user@localhost is local", "a@b", "price: 3 @ $4.99 each",
            "Email me at jane at example dot com"})
    void notEmails(String text) {
        assertEquals(text, redact(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444",
            "3782 822463 10005", "378282246310005", "6011-1111-1111-1117", "2223 0031 2200 3222"})
    void cardsWithSpacesAndDashesAreRedacted(String card) {
        assertEquals("My card is <card>, expiry 12/27.", redact("My card is " + card + ", expiry 12/27."));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "My card is 4111 1111 1111 1112.",           // fails Luhn
            "Order 1234567812345670 has shipped.",       // Luhn-valid but no card starts with 1
            "Tracking: 9400 1000 0000 0000 0000 00",     // USPS tracking number
            "Where is my order #21265?",
            "Order #4111111111111111 was cancelled.",    // after '#': an order id, whatever its digits
            "Seasons 2015 2016 2017 2018 and 2000 2010 2020 2024.",  // Luhn-valid lists of years: no card starts 20xx
            "ISBN 978-3-16-148410-0 and 9783161484100",
            "It costs $1,299.99 or €49.90, total 1 000 000 points.",
            "Version 2.10.4 (build 17.0.2) and v1.2.3.4 are out.",
            "On 2024-01-15, 15.01.2024 or 01/15/2024 at 12:30:45 or 09:15.",
            "Pi is 3.14159265358979 and 0.1234567890.",
            "Call between 9 and 5, items 3 4 5 6 7 8 9 10 11 12."})
    void numbersThatAreNotPersonalData(String text) {
        assertEquals(text, redact(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+44 20 7946 0958", "+1 (555) 123-4567", "(555) 123-4567", "555-123-4567", "555.123.4567",
            "1-800-555-0199", "020 7946 0958", "07700 900123", "0049 30 1234567", "+49 30 1234567", "+33612345678",
            "01 23 45 67 89"})
    void phonesInternationalAndNationalAreRedacted(String phone) {
        assertEquals("Call me on <phone> today.", redact("Call me on " + phone + " today."));
    }

    @Test
    void cardAfterAnotherNumber() {
        assertEquals("Room 12 <card> ok", redact("Room 12 4111 1111 1111 1111 ok"));
    }

    @Test
    void phoneAfterALabel() {
        assertEquals("Tel:<phone>", redact("Tel:+44 20 7946 0958"));
        assertEquals("Tel: <phone>.", redact("Tel: 020 7946 0958."));
    }

    @ParameterizedTest
    @ValueSource(strings = {"DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19",
            "FR14 2004 1010 0505 0001 3M02 606", "de89 3704 0044 0532 0130 00"})
    void ibansAreRedacted(String iban) {
        assertEquals("IBAN: <iban> thanks", redact("IBAN: " + iban + " thanks"));
    }

    @Test
    void ibanWithABadCheckIsNotAnIban() {
        assertEquals("Ref DE88 3704 0044 0532 0130 00 ok", ALL.redact("Ref DE88 3704 0044 0532 0130 00 ok",
                new CleaningTally(false)).replace("<card>", "?"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.168.1.20", "10.0.0.1", "2001:db8:85a3::8a2e:370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "fe80::1ff:fe23:4567:890a"})
    void ipAddressesAreRedacted(String ip) {
        assertEquals("Logged in from <ip>.", redact("Logged in from " + ip + "."));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Meet at 12:30:45 or 10:30.", "MAC 00:1A:2B:3C:4D:5E", "Not an IP: 300.1.1.1 or 1.2.3", "A budget of 1.200.000.000 euros.",
            "Use std::vector and a::b.", "Ratio 16:9, score 3:2:1.", "Please update to version 4.8.0.1 today.",
            "Firmware 1.0.2.15 fixes it.", "The build 10.0.19045.3803 is current.", "Release 2.3.1.0 is out."})
    void notIpAddresses(String text) {
        assertEquals(text, redact(text));
    }

    @Test
    void ipAddressAfterALabel() {
        assertEquals("IP:<ip>, host=<ip>, server: <ip>", redact("IP:10.0.0.5, host=10.0.0.1, server: 192.168.1.20"));
        assertEquals("Meet at 12:30:45.", redact("Meet at 12:30:45."));
    }

    @Test
    void urlsWithCredentialsOrQueryAreRedactedOthersKept() {
        assertEquals("See <url> now", redact("See https://admin:s3cret@example.com/panel now"));
        assertEquals("Track it: <url>.", redact("Track it: https://shop.example.com/track?order=21265&email=jane@example.com."));
        assertEquals("Reset: <url>", redact("Reset: www.example.com/reset?token=abc123"));
        String plain = "Our help pages are at https://example.com/help. Or www.example.com.";
        assertEquals(plain, redact(plain));
    }

    @Test
    void countsByTypeAndOriginalsForTheSample() {
        CleaningTally tally = new CleaningTally(true);
        String out = ALL.redact("Mail jane@example.com or bob@example.org, card 4111 1111 1111 1111, call +44 20 7946 0958.", tally);
        assertEquals("Mail <email> or <email>, card <card>, call <phone>.", out);
        assertEquals(2, tally.redacted(PiiType.EMAIL));
        assertEquals(1, tally.redacted(PiiType.CARD));
        assertEquals(1, tally.redacted(PiiType.PHONE));
        assertEquals(0, tally.redacted(PiiType.IP));
        assertEquals(List.of("jane@example.com", "bob@example.org", "4111 1111 1111 1111", "+44 20 7946 0958"),
                tally.found().stream().map(CleaningTally.Found::text).toList());
    }

    @Test
    void onlyTheChosenKindsAndConfiguredPlaceholders() {
        Redactor emailOnly = new Redactor(EnumSet.of(PiiType.EMAIL), Map.of(PiiType.EMAIL, "[EMAIL]"));
        assertEquals("[EMAIL] 4111 1111 1111 1111", emailOnly.redact("jane@example.com 4111 1111 1111 1111", new CleaningTally(false)));
    }

    @Test
    void maskedSampleShowsShapeNotData() {
        assertEquals("j***@e***.com", MaskedText.of(PiiType.EMAIL, "jane.doe@example.com"));
        assertEquals("**** **** **** **11", MaskedText.of(PiiType.CARD, "4111 1111 1111 1111"));
        assertEquals("+** ** **** **58", MaskedText.of(PiiType.PHONE, "+44 20 7946 0958"));
        assertEquals("DE** **** **** **** **** 00", MaskedText.of(PiiType.IBAN, "DE89 3704 0044 0532 0130 00"));
        assertEquals("https://***:***@example.com/***?id=***", MaskedText.of(PiiType.URL, "https://bob:pw@example.com/a?id=7"));
    }
}
