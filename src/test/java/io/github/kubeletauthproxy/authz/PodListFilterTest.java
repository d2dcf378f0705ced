package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.github.kubeletauthproxy.authn.UserInfo;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class PodListFilterTest {

    static final UserInfo JANE = new UserInfo("jane", "", List.of("devs"), Map.of());
    static final JsonMapper JSON = JsonMapper.builder().build();

    final ConcurrentLinkedQueue<AccessReview> asked = new ConcurrentLinkedQueue<>();

    /** An authorizer that allows {@code list pods} in {@code listable} and fails every review in {@code failing}. */
    PodListFilter filterFor(Set<String> listable, Set<String> failing) {
        return new PodListFilter(new KubeletAuthorization(review -> {
            asked.add(review);
            if (failing.contains(review.namespace())) {
                return Mono.error(new IllegalStateException("API server down"));
            }
            boolean allowed = review.verb().equals("list") && review.resource().equals("pods") && review.subresource().isEmpty()
                    && listable.contains(review.namespace());
            return Mono.just(new Decision(allowed ? Decision.Kind.ALLOW : Decision.Kind.NO_OPINION, ""));
        }, "node"));
    }

    static byte[] podList(String... namespaces) {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < namespaces.length; i++) {
            items.append(i == 0 ? "" : ",").append("{\"metadata\":{\"name\":\"pod-").append(i).append('"')
                    .append(namespaces[i] == null ? "" : ",\"namespace\":\"" + namespaces[i] + "\"")
                    .append("},\"spec\":{\"nodeName\":\"node\"},\"status\":{\"phase\":\"Running\"}}");
        }
        return ("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[" + items + "]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static List<String> namesIn(byte[] body) {
        return JSON.readTree(body).path("items").valueStream()
                .map(item -> item.path("metadata").path("namespace").asString() + "/" + item.path("metadata").path("name").asString())
                .toList();
    }

    @Test
    void onlyThePodsOfNamespacesTheCallerMayListAreShownInTheKubeletsOrder() {
        var result = filterFor(Set.of("a", "c"), Set.of()).filter(JANE, podList("a", "b", "c", "a", "kube-system")).block();

        assertThat(result).isInstanceOfSatisfying(PodListFilter.Filtered.class, filtered -> {
            assertThat(namesIn(filtered.body())).containsExactly("a/pod-0", "c/pod-2", "a/pod-3");
            assertThat(filtered.namespaces()).containsExactly("a", "c");
            assertThat(filtered.podsShown()).isEqualTo(3);
            assertThat(filtered.podsOnNode()).isEqualTo(5);
            JsonNode list = JSON.readTree(filtered.body());
            assertThat(list.path("kind").asString()).isEqualTo("PodList");
            assertThat(list.path("items").get(0).path("status").path("phase").asString()).isEqualTo("Running");
        });
        // one review per namespace present, not per pod
        assertThat(asked).extracting(AccessReview::namespace).containsExactlyInAnyOrder("a", "b", "c", "kube-system");
        assertThat(asked).allSatisfy(review -> assertThat(review.user()).isEqualTo(JANE));
    }

    @Test
    void aCallerWhoMayListNothingGetsAnEmptyList() {
        var result = filterFor(Set.of(), Set.of()).filter(JANE, podList("a", "b")).block();

        assertThat(result).isInstanceOfSatisfying(PodListFilter.Filtered.class, filtered -> {
            assertThat(namesIn(filtered.body())).isEmpty();
            assertThat(filtered.namespaces()).isEmpty();
        });
    }

    @Test
    void aPodWithoutANamespaceIsShownToNobody() {
        var result = filterFor(Set.of("a", ""), Set.of()).filter(JANE, podList("a", null)).block();

        assertThat(result).isInstanceOfSatisfying(PodListFilter.Filtered.class,
                filtered -> assertThat(namesIn(filtered.body())).containsExactly("a/pod-0"));
        assertThat(asked).extracting(AccessReview::namespace).containsExactly("a");
    }

    @Test
    void aReviewThatCannotBeAnsweredFailsTheWholeAnswer() {
        var result = filterFor(Set.of("a"), Set.of("b")).filter(JANE, podList("a", "b")).block();

        assertThat(result).isInstanceOfSatisfying(PodListFilter.ReviewFailed.class, failed -> {
            assertThat(failed.outcome().review()).isEqualTo(PodScope.PodList.review(JANE, "b"));
            assertThat(failed.outcome().reason()).contains("API server down");
        });
    }

    @Test
    void anAnswerThatIsNotAPodListIsNeverPassedOn() {
        PodListFilter filter = filterFor(Set.of("a"), Set.of());
        for (String body : List.of("", "not json", "[]", "{\"items\":{}}", "{\"kind\":\"PodList\"}", "{\"items\":[")) {
            assertThat(filter.filter(JANE, body.getBytes(StandardCharsets.UTF_8)).block())
                    .as(body).isInstanceOf(PodListFilter.NotAPodList.class);
        }
    }
}
