package dev.transcriber.api.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A row names only what it is grouped by; the operator's name their key, null when the job had none. */
class UsageReportTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aCallersRowNamesItsModelOrItsDayAndNoKey() {
        UsageReport<UsageReport.Bucket> byModel =
                UsageReport.of("model", List.of(new UsageReport.Bucket("whisper-1", null, 2, 3.5, 4.0, 0, 0, 0, 0)));
        UsageReport<UsageReport.Bucket> byDay =
                UsageReport.of("day", List.of(new UsageReport.Bucket(null, "2026-01-02", 1, 1.0, 1.0, 5, 6, 7, 8)));

        assertThat(JSON.writeValueAsString(byModel))
                .isEqualTo("{\"object\":\"list\",\"group_by\":\"model\",\"data\":[{\"model\":\"whisper-1\","
                        + "\"requests\":2,\"audio_seconds\":3.5,\"billed_seconds\":4.0,\"input_tokens\":0,"
                        + "\"output_tokens\":0,\"audio_tokens\":0,\"text_tokens\":0}]}");
        assertThat(JSON.writeValueAsString(byDay))
                .isEqualTo("{\"object\":\"list\",\"group_by\":\"day\",\"data\":[{\"day\":\"2026-01-02\","
                        + "\"requests\":1,\"audio_seconds\":1.0,\"billed_seconds\":1.0,\"input_tokens\":5,"
                        + "\"output_tokens\":6,\"audio_tokens\":7,\"text_tokens\":8}]}");
    }

    @Test
    void theOperatorsRowNamesItsKeyAfterTheGroupingEvenWhenThereIsNone() {
        UsageReport<UsageReport.KeyBucket> report = UsageReport.of(
                "model", List.of(new UsageReport.KeyBucket("whisper-1", null, null, 1, 1, 1, 0, 0, 0, 0)));

        assertThat(JSON.writeValueAsString(report))
                .isEqualTo("{\"object\":\"list\",\"group_by\":\"model\",\"data\":[{\"model\":\"whisper-1\","
                        + "\"api_key_id\":null,\"requests\":1,\"audio_seconds\":1.0,\"billed_seconds\":1.0,"
                        + "\"input_tokens\":0,\"output_tokens\":0,\"audio_tokens\":0,\"text_tokens\":0}]}");
    }
}
