package dev.chatforge.io;

/** The chatforge version recorded in manifests and checkpoints. */
public final class Version {
    private Version() {}

    public static final String CHATFORGE = "0.1.0";
}
