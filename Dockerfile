# For people with Docker. Not built or tested on this project's own machines (they have no Docker engine):
# there the image is built by `scripts/build-image` (jlink'd JRE + Jib, no registry needed).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --uid 65532 --user-group --no-create-home nonroot
COPY --from=build /src/target/kubelet-auth-proxy.jar /app/kubelet-auth-proxy.jar
# the JVM settings of every other way to run the proxy (heap from the memory limit, serial GC, …)
COPY src/main/jvm/jvm.options /app/jvm.options
ENV MALLOC_ARENA_MAX=2 JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=25 -XX:MinRAMPercentage=25 -XX:InitialRAMPercentage=5"
USER 65532:65532
EXPOSE 10443 10444
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/kubelet-auth-proxy.jar"]
