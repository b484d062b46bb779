package dev.chatforge.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The operating system's reason for a failed file operation, in words. Java's file exceptions
 * often carry only the path as their message ({@code AccessDeniedException: /data/out}), which
 * tells the user where but not why.
 */
public final class IoErrors {
    private IoErrors() {}

    /** "permission denied (/data/out)", "No space left on device (/data/out/train.bin)", ... */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException fs) {
            String file = fs.getFile();
            String why;
            if (fs.getReason() != null) {
                why = fs.getReason();
            } else if (e instanceof AccessDeniedException) {
                why = "permission denied";
            } else if (e instanceof NoSuchFileException) {
                why = "no such file or folder";
            } else if (e instanceof FileAlreadyExistsException) {
                why = "a file of that name already exists";
            } else if (e instanceof NotDirectoryException) {
                why = "not a folder";
            } else if (e instanceof DirectoryNotEmptyException) {
                why = "folder not empty";
            } else {
                why = e.getClass().getSimpleName();
            }
            String other = fs.getOtherFile() == null ? "" : " -> " + fs.getOtherFile();
            return file == null ? why : why + " (" + file + other + ")";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
