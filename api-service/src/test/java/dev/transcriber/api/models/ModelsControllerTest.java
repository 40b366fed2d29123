package dev.transcriber.api.models;

import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.api.keys.ApiKeys;
import dev.transcriber.api.keys.RateLimits;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ApiKey;
import dev.transcriber.common.store.ServableModels;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

@WebMvcTest(ModelsController.class)
@Import({ErrorResponses.class, dev.transcriber.api.keys.ApiSecurity.class})
@org.springframework.boot.context.properties.EnableConfigurationProperties(dev.transcriber.api.ApiProperties.class)
class ModelsControllerTest {

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private ApiKeys keys;

    @MockitoBean
    private ModelCatalog catalog;

    @MockitoBean
    private ServableModels servable;

    @MockitoBean
    private Clock clock;

    @MockitoBean
    private RateLimits rateLimits;

    @org.junit.jupiter.api.BeforeEach
    void countRequests() {
        given(clock.instant()).willReturn(Instant.parse("2026-11-25T12:00:00Z"));
        given(rateLimits.count(org.mockito.ArgumentMatchers.any(), org.mockito.ArgumentMatchers.eq(3000)))
                .willReturn(new RateLimits.Window(3000, 2999, Instant.parse("2026-11-25T12:01:00Z"), false));
    }

    @Test
    void listsModelsForAValidKey() throws Exception {
        given(keys.authenticate("sk-good"))
                .willReturn(Optional.of(new ApiKey(UUID.randomUUID(), "test", "hash", "sk-good", Instant.now())));
        given(clock.instant()).willReturn(Instant.parse("2026-11-25T12:00:00Z"));
        given(servable.since(Instant.parse("2026-11-25T11:59:30Z")))
                .willReturn(List.of(
                        new ServableModels.Servable("gpt-4o-transcribe", "openai"),
                        new ServableModels.Servable("whisper-1", "local-engine")));
        given(catalog.resolve(org.mockito.ArgumentMatchers.anyString()))
                .willAnswer(i -> ModelCatalog.standard().resolve(i.getArgument(0)));

        mvc.perform(get("/v1/models").header("Authorization", "Bearer sk-good"))
                .andExpect(status().isOk())
                .andExpect(header().string("X-RateLimit-Limit-Requests", "3000")) // the default, for a key without
                .andExpect(header().string("X-RateLimit-Remaining-Requests", "2999"))
                .andExpect(header().string("X-RateLimit-Reset-Requests", "1m0s"))
                .andExpect(jsonPath("$.object").value("list"))
                .andExpect(jsonPath("$.data[0].id").value("gpt-4o-transcribe"))
                .andExpect(jsonPath("$.data[1].id").value("openai/gpt-4o-transcribe"))
                .andExpect(jsonPath("$.data[0].owned_by").value("openai"))
                .andExpect(jsonPath("$.data[2].id").value("whisper-1"))
                .andExpect(jsonPath("$.data[2].owned_by").value("local-engine"))
                .andExpect(jsonPath("$.data.length()").value(4));
    }

    @Test
    void refusesAMissingKeyInOpenAisShape() throws Exception {
        mvc.perform(get("/v1/models"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"));
    }

    @Test
    void unknownPathsAnswerInOpenAisShape() throws Exception {
        given(keys.authenticate("sk-good"))
                .willReturn(Optional.of(new ApiKey(UUID.randomUUID(), "test", "hash", "sk-good", Instant.now())));

        mvc.perform(get("/v1/nothing-here").header("Authorization", "Bearer sk-good"))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.error.code").value("not_found"));
    }
}
