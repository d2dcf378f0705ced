package io.github.kubeletauthproxy.authn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An authenticated identity as the API server describes it (TokenReview status.user, SAR spec fields). */
public record UserInfo(String name, String uid, List<String> groups, Map<String, List<String>> extra) {

    public static final String ANONYMOUS = "system:anonymous";
    public static final String UNAUTHENTICATED_GROUP = "system:unauthenticated";
    public static final String AUTHENTICATED_GROUP = "system:authenticated";

    public UserInfo {
        uid = uid == null ? "" : uid;
        groups = groups == null ? List.of() : List.copyOf(groups);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public static UserInfo anonymous() {
        return new UserInfo(ANONYMOUS, "", List.of(UNAUTHENTICATED_GROUP), Map.of());
    }

    /** This user with {@code group} appended unless already present. */
    public UserInfo withGroup(String group) {
        if (groups.contains(group)) {
            return this;
        }
        List<String> more = new ArrayList<>(groups);
        more.add(group);
        return new UserInfo(name, uid, more, extra);
    }
}
