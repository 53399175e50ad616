package dev.flotilla.linux;

/** The errno values callers branch on (Linux asm-generic numbering). */
public final class Errno {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EBADF = 9;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;

    private Errno() {
    }
}
