package dev.chatforge.data;

/** One turn of a conversation. */
public record Turn(Role role, String content) {}
