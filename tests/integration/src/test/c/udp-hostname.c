/*
 * A UDP fixture for the routing-mesh tests, built statically into a one-file image.
 *   udp-hostname serve PORT      answers every datagram with this host's name
 *   udp-hostname ask HOST PORT   sends one datagram, prints the answer (exit 1 after 3 s of silence)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int serve(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    char name[256], buf[2048];
    gethostname(name, sizeof name);
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &peer, &len) >= 0) {
            sendto(fd, name, strlen(name), 0, (struct sockaddr *) &peer, len);
        }
    }
}

static int ask(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct timeval timeout = {.tv_sec = 3};
    if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", host);
        return 2;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buf[2048];
    if (sendto(fd, "?", 1, 0, (struct sockaddr *) &addr, sizeof addr) < 0) {
        perror("sendto");
        return 1;
    }
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 0) {
        perror("recv");
        return 1;
    }
    buf[n] = 0;
    printf("%s\n", buf);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        return serve(atoi(argv[2]));
    }
    if (argc == 4 && strcmp(argv[1], "ask") == 0) {
        return ask(argv[2], atoi(argv[3]));
    }
    fprintf(stderr, "usage: udp-hostname serve PORT | ask HOST PORT\n");
    return 2;
}
