/* Reader — decodes esc events with Apache Avro for Java, using only
 * schemas/esc.v1.Event.avsc (DESIGN section 8).
 *
 *   java -jar esc-interop-reader.jar EVENT_AVSC HEXFILE TAG [REGISTRY_URL]
 *
 * HEXFILE holds one Kafka record value per line, in hex, as consumed from
 * the broker by tests/interop/python/interop.py. Single-object frames are
 * decoded with Avro's own BinaryMessageDecoder, which checks the
 * CRC-64-AVRO fingerprint of the .avsc against the frame: this also proves
 * esc's fingerprint implementation agrees with Java's. Confluent frames
 * (00 + big-endian id) take the writer schema from the registry when a URL
 * is given, else from the .avsc. Checks every record (type = payload
 * branch, incident id, non-ASCII title) and that all event types came. */
package esc.interop;

import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;

public final class Reader {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("Reader: FAIL: " + what);
            System.exit(1);
        }
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++)
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    static Schema fetch(String registry, int id) throws Exception {
        try (InputStream in = new URL(registry + "/schemas/ids/" + id).openStream()) {
            String text = new ObjectMapper().readTree(in).get("schema").asText();
            return new Schema.Parser().parse(text);
        }
    }

    public static void main(String[] args) throws Exception {
        check(args.length >= 3, "usage: Reader EVENT_AVSC HEXFILE TAG [REGISTRY_URL]");
        Schema schema = new Schema.Parser().parse(Path.of(args[0]).toFile());
        List<String> lines = Files.readAllLines(Path.of(args[1]));
        String tag = args[2];
        String registry = args.length > 3 ? args[3] : null;
        BinaryMessageDecoder<GenericRecord> single = new BinaryMessageDecoder<>(GenericData.get(), schema);
        Set<String> types = new HashSet<>();
        String framing = "none";

        for (String line : lines) {
            if (line.isBlank())
                continue;
            byte[] v = unhex(line.trim());
            GenericRecord e;
            if (v.length > 10 && (v[0] & 0xff) == 0xC3 && v[1] == 0x01) {
                long fp = ByteBuffer.wrap(v, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                check(fp == SchemaNormalization.parsingFingerprint64(schema),
                      "frame fingerprint " + fp + " is not the .avsc's " + SchemaNormalization.parsingFingerprint64(schema));
                e = single.decode(v);
                framing = "single-object";
            } else if (v.length > 5 && v[0] == 0) {
                int id = ByteBuffer.wrap(v, 1, 4).getInt();
                Schema writer = registry != null ? fetch(registry, id) : schema;
                e = new GenericDatumReader<GenericRecord>(writer, schema)
                        .read(null, DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null));
                framing = "Confluent";
            } else {
                check(false, "unknown framing byte " + (v[0] & 0xff));
                return;
            }
            String type = e.get("type").toString();
            GenericRecord payload = (GenericRecord) e.get("payload");
            check(payload.getSchema().getName().equals(type), "type " + type + " but payload " + payload.getSchema().getName());
            check(e.get("incident_id").toString().equals(tag), "incident_id " + e.get("incident_id"));
            check(e.get("actor").toString().equals("jürgen"), "actor " + e.get("actor"));
            check(((ByteBuffer) e.get("hash")).remaining() == 32, "hash is 32 bytes");
            if (type.equals("EscalationOpened")) {
                check(payload.get("title").toString().equals("請求書の生成が失敗する — invoices fail"), "title " + payload.get("title"));
                GenericRecord acct = (GenericRecord) payload.get("account");
                check(acct.get("tier").toString().equals("strategic"), "tier " + acct.get("tier"));
                check(((Integer) acct.get("renewal_date")) == 20600, "renewal_date " + acct.get("renewal_date"));
            }
            types.add(type);
        }
        int want = schema.getField("type").schema().getEnumSymbols().size();
        check(types.size() == want, "saw " + types.size() + " event types, want " + want);
        System.out.println("java decoded " + lines.size() + " events of " + types.size() + " types (" + framing + " framing)");
    }
}
