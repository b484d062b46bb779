package dev.chatforge.data;

/**
 * The deterministic train/validation split: a record goes to validation when a hash of its
 * content hash and the seed falls below {@code valFraction}. The decision depends on nothing
 * but the record and the seed, so adding or removing other records never moves a record from
 * one split to the other, and duplicates always land in the same split.
 */
public final class Split {
    private final double valFraction;
    private final long seedMix;

    public Split(double valFraction, long seed) {
        this.valFraction = valFraction;
        this.seedMix = ContentHash.fmix64(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    }

    public boolean isValidation(long contentHash) {
        long h = ContentHash.fmix64(contentHash ^ seedMix);
        double u = (h >>> 11) * 0x1.0p-53;  // uniform in [0, 1)
        return u < valFraction;
    }
}
