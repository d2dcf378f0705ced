# For people with Docker. Not built or tested on this project's own machines (they have no Docker engine):
# there the image is built by `scripts/build-image` (jlink'd JRE + Jib, no registry needed).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --uid 65532 --user-group --no-create-home nonroot
COPY --from=build /src/target/kubelet-auth-proxy.jar /app/kubelet-auth-proxy.jar
USER 65532:65532
EXPOSE 10443 10444
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/kubelet-auth-proxy.jar"]
