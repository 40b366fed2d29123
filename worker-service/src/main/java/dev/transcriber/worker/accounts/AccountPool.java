package dev.transcriber.worker.accounts;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/** The configured upstream accounts, used in turn. */
@Component
public class AccountPool {

    private static final Logger log = LoggerFactory.getLogger(AccountPool.class);

    private final List<UpstreamAccount> accounts;
    private final AtomicLong turn = new AtomicLong();

    @Autowired
    AccountPool(AccountsProperties properties) {
        this(fromEnvironment(properties));
    }

    public AccountPool(List<UpstreamAccount> accounts) {
        this.accounts = List.copyOf(accounts);
        if (this.accounts.isEmpty()) {
            log.warn("no upstream account configured (set OPENAI_API_KEY): transcriptions will fail with no_accounts");
        } else {
            log.info("upstream accounts: {}", this.accounts);
        }
    }

    static List<UpstreamAccount> fromEnvironment(AccountsProperties properties) {
        List<String> keys = Arrays.stream(properties.openaiApiKey().split(","))
                .map(String::trim)
                .filter(k -> !k.isEmpty())
                .toList();
        String base = properties.openaiBaseUrl().replaceAll("/+$", "");
        return IntStream.range(0, keys.size())
                .mapToObj(i -> new UpstreamAccount("openai-" + (i + 1), base, keys.get(i)))
                .toList();
    }

    /** The next account in turn. */
    public UpstreamAccount next() {
        if (accounts.isEmpty()) {
            throw new NoAccountsException();
        }
        return accounts.get((int) Math.floorMod(turn.getAndIncrement(), (long) accounts.size()));
    }

    public List<UpstreamAccount> accounts() {
        return accounts;
    }
}
