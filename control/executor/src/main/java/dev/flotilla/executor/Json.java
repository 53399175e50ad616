package dev.flotilla.executor;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import dev.flotilla.common.DurableFiles;

/** The JSON files this package keeps on disk, written through {@link DurableFiles}: whole, and durable once written. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {
    }

    static void write(Path file, Object value) throws IOException {
        DurableFiles.write(file, MAPPER.writeValueAsBytes(value));
    }

    static <T> T read(Path file, Class<T> type) throws IOException {
        return MAPPER.readValue(file.toFile(), type);
    }
}
