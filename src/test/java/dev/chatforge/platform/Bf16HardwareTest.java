package dev.chatforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class Bf16HardwareTest {
    @Test
    void readsTheBf16FlagsOfProcCpuinfo() {
        String zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n";
        String sapphireRapids = "flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n";
        String older = "flags\t\t: fpu avx2 avx512f avx512bw\nbugs\t\t: spectre_v1\n";
        assertEquals(Optional.of("avx512_bf16"), Bf16Hardware.flagIn(zen5));
        assertEquals(Optional.of("amx_bf16"), Bf16Hardware.flagIn(sapphireRapids), "AMX first: the faster");
        assertEquals(Optional.empty(), Bf16Hardware.flagIn(older));
        assertEquals(Optional.empty(), Bf16Hardware.flagIn(""));
    }
}
