package io.github.kubeletauthproxy.authz;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.github.kubeletauthproxy.authn.UserInfo;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pod-scoped {@code GET /pods}: the kubelet's pod list cut down to the namespaces where the caller may
 * {@code list pods}, one namespaced review per namespace present (cached and coalesced like every review). Fails
 * closed: an item without a namespace is left out, a review that cannot be answered fails the whole answer, and an
 * answer that is not a pod list is never passed on.
 */
public final class PodListFilter {

    /** Reviews of different namespaces run side by side, this many at a time: a node holds pods of few namespaces. */
    private static final int CONCURRENT_REVIEWS = 8;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final KubeletAuthorization authorization;

    public PodListFilter(KubeletAuthorization authorization) {
        this.authorization = authorization;
    }

    /** The filtered answer, or why there is none. */
    public sealed interface Result permits Filtered, ReviewFailed, NotAPodList {
    }

    /** The list holding only the pods of {@code namespaces} (those the caller may list, in the order met). */
    public record Filtered(byte[] body, List<String> namespaces, int podsShown, int podsOnNode) implements Result {
    }

    /** The review of {@code outcome.review()} could not be answered: refused as any unanswered review is. */
    public record ReviewFailed(KubeletAuthorization.Outcome outcome) implements Result {
    }

    /** The kubelet's answer was not a JSON pod list: nothing of it may reach the caller. */
    public record NotAPodList(String why) implements Result {
    }

    public Mono<Result> filter(UserInfo user, byte[] kubeletAnswer) {
        JsonNode list;
        try {
            list = JSON.readTree(kubeletAnswer);
        } catch (JacksonException e) {
            return Mono.just(new NotAPodList("the kubelet's answer is not JSON"));
        }
        if (!(list instanceof ObjectNode object) || !(object.get("items") instanceof ArrayNode items)) {
            return Mono.just(new NotAPodList("the kubelet's answer has no items list"));
        }
        Set<String> present = new LinkedHashSet<>();
        for (JsonNode item : items) {
            String namespace = namespaceOf(item);
            if (!namespace.isEmpty()) {
                present.add(namespace);
            }
        }
        return Flux.fromIterable(present)
                .flatMapSequential(namespace -> authorization.mayListPods(user, namespace)
                        .map(outcome -> new NamespaceOutcome(namespace, outcome)), CONCURRENT_REVIEWS)
                .collectList()
                .map(outcomes -> {
                    List<String> listable = new ArrayList<>();
                    for (NamespaceOutcome namespace : outcomes) {
                        if (namespace.outcome().unanswered()) {
                            return new ReviewFailed(namespace.outcome());
                        }
                        if (namespace.outcome().kind() == KubeletAuthorization.Outcome.Kind.ALLOWED) {
                            listable.add(namespace.namespace());
                        }
                    }
                    return keep(object, items, listable);
                });
    }

    private record NamespaceOutcome(String namespace, KubeletAuthorization.Outcome outcome) {
    }

    private static Result keep(ObjectNode list, ArrayNode items, List<String> namespaces) {
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode item : items) {
            if (namespaces.contains(namespaceOf(item))) {
                kept.add(item);
            }
        }
        int onNode = items.size();
        list.set("items", kept);
        return new Filtered(JSON.writeValueAsBytes(list), List.copyOf(namespaces), kept.size(), onNode);
    }

    /** The item's {@code metadata.namespace}, or empty when it has none (then nobody sees it). */
    private static String namespaceOf(JsonNode item) {
        JsonNode namespace = item.path("metadata").path("namespace");
        return namespace.isString() ? namespace.asString() : "";
    }
}
