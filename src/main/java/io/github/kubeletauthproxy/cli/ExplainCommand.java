package io.github.kubeletauthproxy.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.authz.AccessReview;
import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;
import io.github.kubeletauthproxy.authz.PodScope;
import io.github.kubeletauthproxy.authz.SubjectAccessReviews;
import io.github.kubeletauthproxy.request.RequestScreen;
import io.github.kubeletauthproxy.request.Screening;
import io.github.kubeletauthproxy.status.StatusTexts;
import org.springframework.http.HttpHeaders;

/**
 * {@code explain [--node N] [--user U] [--group G]... [--header 'Name: value']... [--fine-grained=true|false]
 * [--streams-require-create=true|false] [--pod-scoped=true|false] METHOD PATH[?QUERY]}: prints, one JSON object per
 * line and in evaluation order, the SubjectAccessReviews the proxy would send, through the same screening and
 * attribute code as the server (with pod-scoped access, the node-level reviews and then the namespaced one; for
 * {@code GET /pods} the namespaced {@code list pods} review, sent once per namespace present, with the namespace
 * {@code <each namespace on the node>}); or, for a request the proxy refuses before any review,
 * {@code {"status":…,"message":…}} with exit code 3. Without {@code --user} the caller is {@code system:anonymous}.
 */
public final class ExplainCommand {

    public static final int REFUSED = 3;
    public static final int USAGE = 2;

    /** Stands for the namespaces of the pods on the node, known only from the kubelet's answer. */
    static final String EACH_NAMESPACE = "<each namespace on the node>";

    private ExplainCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        String node = System.getenv().getOrDefault("NODE_NAME", "node");
        String user = null;
        List<String> groups = new ArrayList<>();
        HttpHeaders headers = new HttpHeaders();
        boolean fineGrained = true;
        boolean streamsRequireCreate = true;
        boolean podScoped = false;
        List<String> positional;
        try {
            CommandLine line = CommandLine.parse(args);
            positional = line.positional();
            for (CommandLine.Option option : line.options()) {
                switch (option.name()) {
                    case "--node" -> node = option.value();
                    case "--user" -> user = option.value();
                    case "--group" -> groups.add(option.value());
                    case "--header" -> addHeader(headers, option.value());
                    case "--fine-grained" -> fineGrained = option.asBoolean();
                    case "--streams-require-create" -> streamsRequireCreate = option.asBoolean();
                    case "--pod-scoped" -> podScoped = option.asBoolean();
                    default -> throw new IllegalArgumentException("unknown option " + option.name());
                }
            }
            if (positional.size() != 2) {
                throw new IllegalArgumentException("expected METHOD and PATH");
            }
        } catch (IllegalArgumentException e) {
            err.println("explain: " + e.getMessage());
            err.println("usage: explain [--node NAME] [--user U] [--group G]... [--header 'Name: value']... "
                    + "[--fine-grained=true|false] [--streams-require-create=true|false] [--pod-scoped=true|false] METHOD PATH[?QUERY]");
            return USAGE;
        }
        String method = positional.get(0);
        // the target read as the server reads it, so that explain refuses what the server refuses
        String rawPath = RequestScreen.pathOf(positional.get(1));
        RequestScreen screen = new RequestScreen(new KubeletRequestAttributes.Options(fineGrained, streamsRequireCreate, podScoped));
        Screening screening = screen.screen(method, rawPath, headers);
        if (screening instanceof Screening.Refused refused) {
            out.println("{\"status\": " + refused.status() + ", \"message\": " + StatusTexts.jsonString(refused.message()) + "}");
            return REFUSED;
        }
        Screening.Accepted accepted = (Screening.Accepted) screening;
        UserInfo caller = user == null
                ? UserInfo.anonymous()
                : new UserInfo(user, "", groups, Map.of()).withGroup(UserInfo.AUTHENTICATED_GROUP);
        List<AccessReview> reviews = new ArrayList<>(KubeletAuthorization.reviews(caller, accepted.attributes(), node));
        PodScope.Access podAccess = accepted.attributes().podAccess();
        if (podAccess instanceof PodScope.OnePod pod) {
            reviews.add(pod.review(caller));
        } else if (podAccess instanceof PodScope.PodList) {
            reviews.add(PodScope.PodList.review(caller, EACH_NAMESPACE));
        }
        for (AccessReview review : reviews) {
            out.println(ApiServerClient.JSON.writeValueAsString(SubjectAccessReviews.toResource(review)));
        }
        return 0;
    }

    private static void addHeader(HttpHeaders headers, String header) {
        int colon = header.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--header takes 'Name: value', got '" + header + "'");
        }
        headers.add(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
    }
}
