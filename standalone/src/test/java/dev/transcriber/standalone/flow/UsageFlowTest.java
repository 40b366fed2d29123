package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The usage ledger's totals equal the sum of the jobs' own usage, for token and duration models mixed. */
class UsageFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void totalsByModelEqualTheSumOfTheJobsUsage() {
        TestSystem system = TestSystem.embedded();
        ApiClient client = new ApiClient(system.apiBaseUrl());
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .withMultipartRequestBody(WireMock.aMultipart("model").withBody(equalTo("gpt-4o-transcribe")))
                        .willReturn(okJson("{\"text\":\"t\",\"usage\":{\"type\":\"tokens\",\"input_tokens\":17,"
                                + "\"output_tokens\":5,\"total_tokens\":22,\"input_token_details\":{\"audio_tokens\":15,"
                                + "\"text_tokens\":2}}}")));
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                        .withMultipartRequestBody(WireMock.aMultipart("model").withBody(equalTo("whisper-1")))
                        .willReturn(okJson("{\"text\":\"d\",\"usage\":{\"type\":\"duration\",\"seconds\":1.5}}")));
        JsonNode key = JSON.readTree(client.send(client.request("/admin/keys")
                        .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"usage\"}"))
                        .build())
                .body());
        String secret = key.path("key").asString();

        Map<String, long[]> expected = new HashMap<>(); // model -> requests, input, output, audio, text, billed*10
        for (String model : new String[] {
            "gpt-4o-transcribe", "whisper-1", "gpt-4o-transcribe", "whisper-1", "openai/gpt-4o-transcribe"
        }) {
            HttpResponse<String> answer = client.transcribe(form(model), secret);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode usage = JSON.readTree(answer.body()).path("usage");
            long[] sums = expected.computeIfAbsent(model.replace("openai/", ""), m -> new long[6]);
            sums[0]++;
            sums[1] += usage.path("input_tokens").asLong();
            sums[2] += usage.path("output_tokens").asLong();
            sums[3] += usage.path("input_token_details").path("audio_tokens").asLong();
            sums[4] += usage.path("input_token_details").path("text_tokens").asLong();
            sums[5] += Math.round(usage.path("seconds").asDouble() * 10);
        }

        JsonNode byModel = JSON.readTree(client.send(client.request("/v1/usage?group_by=model")
                        .header("Authorization", "Bearer " + secret)
                        .GET()
                        .build())
                .body());

        assertThat(byModel.path("data").size()).isEqualTo(2);
        for (JsonNode row : byModel.path("data")) {
            long[] sums = expected.get(row.path("model").asString());
            assertThat(row.path("requests").asLong()).isEqualTo(sums[0]);
            assertThat(row.path("input_tokens").asLong()).isEqualTo(sums[1]);
            assertThat(row.path("output_tokens").asLong()).isEqualTo(sums[2]);
            assertThat(row.path("audio_tokens").asLong()).isEqualTo(sums[3]);
            assertThat(row.path("text_tokens").asLong()).isEqualTo(sums[4]);
            assertThat(Math.round(row.path("billed_seconds").asDouble() * 10)).isEqualTo(sums[5]);
        }
        JsonNode byDay = JSON.readTree(client.send(client.request("/v1/usage?group_by=day")
                        .header("Authorization", "Bearer " + secret)
                        .GET()
                        .build())
                .body());
        assertThat(byDay.path("data").get(0).path("requests").asLong()).isEqualTo(5);
    }

    private static Multipart form(String model) {
        return new Multipart().field("model", model).file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
