package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A PyTorch function that DJL's JNI does not expose (fused attention, {@code addmm}, the tanh GELU,
 * ...), called through a one-method TorchScript module compiled from its source by the libtorch DJL
 * ships. Tensors in, tensors out, and autograd records the function's own backward, as it would in
 * Python.
 *
 * <p>A TorchScript archive is a zip of the module's code (TorchScript's Python subset), a two-line
 * pickle of the module object and a format version; no tensors. We write it in memory and load it
 * with {@link JniUtils#loadModule}; libtorch compiles the source against its own operator registry.
 * Constants (head count, dropout probability) are part of the source, so each distinct source is
 * one module, compiled once per process.
 */
public final class TorchScriptFunction {
    private static final String CLASS = "Function";
    private static final Map<String, TorchScriptFunction> COMPILED = new ConcurrentHashMap<>();
    /** Owns the compiled modules for the life of the process (they hold no tensors). */
    private static final NDManager MODULES = NDManager.newBaseManager("PyTorch");

    private final PtSymbolBlock module;

    private TorchScriptFunction(PtSymbolBlock module) {
        this.module = module;
    }

    /**
     * The function {@code def forward(self, <parameters>) -> <returns>: <body>}, compiled on first
     * use. {@code parameters} are TorchScript-typed ({@code "x: Tensor, w: Tensor"}), {@code body}
     * is indented lines.
     */
    public static TorchScriptFunction of(String parameters, String returns, String body) {
        String source = "class " + CLASS + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__." + CLASS + ", " + parameters + ") -> " + returns + ":\n"
                + body.stripTrailing().indent(4);
        return COMPILED.computeIfAbsent(source, TorchScriptFunction::compile);
    }

    /**
     * Runs the function. Results belong to the first input's manager (as DJL's own ops). Autograd
     * records it exactly when DJL would record an op: inside a gradient collector.
     */
    public NDList call(NDArray... inputs) {
        IValue[] arguments = new IValue[inputs.length];
        long[] handles = new long[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            arguments[i] = IValue.from((PtNDArray) inputs[i]);
            handles[i] = arguments[i].getHandle();
        }
        // The graph executor's optimisations would rewrite the function (addmm back into mm + add)
        // and differentiate it symbolically; plain interpretation runs each op's own kernel and
        // backward. The setting is per thread and stays off for it (chatforge runs no other TorchScript).
        JniUtils.setGraphExecutorOptimize(false);
        try (IValue result = Jni.run(module.getHandle(), handles, JniUtils.isGradMode())) {
            return result.toNDList((PtNDManager) inputs[0].getManager());
        } finally {
            for (IValue argument : arguments) {
                argument.close();
            }
        }
    }

    /**
     * DJL's public calls into a TorchScript module either interpret arrays' names (parameter names
     * such as {@code transformer.h.0.attn.c_attn.weight} turn into dictionaries) or run without
     * gradients; the JNI method beneath both takes the gradient mode as a flag. Reached by
     * reflection (package-private in DJL 0.35.1; all on the class path).
     */
    private static final class Jni {
        private static final MethodHandle RUN_METHOD;
        private static final MethodHandle NEW_IVALUE;

        static {
            try {
                Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field lib = library.getDeclaredField("LIB");
                lib.setAccessible(true);
                Method run = library.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                        boolean.class, boolean.class);
                run.setAccessible(true);
                RUN_METHOD = MethodHandles.lookup().unreflect(run).bindTo(lib.get(null));
                Constructor<IValue> newIValue = IValue.class.getDeclaredConstructor(long.class);
                newIValue.setAccessible(true);
                NEW_IVALUE = MethodHandles.lookup().unreflectConstructor(newIValue);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Runs {@code forward}, recording autograd when {@code withGradients}; the result as an IValue. */
        static IValue run(long module, long[] arguments, boolean withGradients) {
            try {
                long result = (long) RUN_METHOD.invokeExact(module, "forward", arguments, withGradients, false);
                return (IValue) NEW_IVALUE.invokeExact(result);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public NDArray callSingle(NDArray... inputs) {
        return call(inputs).singletonOrThrow();
    }

    private static TorchScriptFunction compile(String source) {
        try {
            byte[] archive = archive(source);
            return new TorchScriptFunction(JniUtils.loadModule((PtNDManager) MODULES, new ByteArrayInputStream(archive), false, false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("libtorch could not compile the TorchScript function:\n" + source, e);
        }
    }

    /** The zip layout {@code torch.jit.save} writes for a module without tensors. */
    static byte[] archive(String source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            store(zip, "function/data.pkl", modulePickle());
            store(zip, "function/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            store(zip, "function/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, empty tuple
            store(zip, "function/.data/version", "10\n".getBytes(StandardCharsets.US_ASCII));
        }
        return bytes.toByteArray();
    }

    /**
     * Pickle (protocol 2) of {@code __torch__.Function} with state {@code {"training": True}}:
     * GLOBAL, NEWOBJ with no arguments, then BUILD from a dict.
     */
    private static byte[] modulePickle() {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.writeBytes(("c__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL module.name
        p.writeBytes(new byte[] {')', (byte) 0x81, '}', '('}); // empty args, NEWOBJ, empty dict, MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X'); // BINUNICODE: 4-byte little-endian length, then the UTF-8 bytes
        p.writeBytes(new byte[] {(byte) key.length, 0, 0, 0});
        p.writeBytes(key);
        p.write(0x88); // NEWTRUE
        p.writeBytes(new byte[] {'u', 'b', '.'}); // SETITEMS, BUILD, STOP
        return p.toByteArray();
    }

    private static void store(ZipOutputStream zip, String name, byte[] content) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        entry.setCompressedSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
    }
}
