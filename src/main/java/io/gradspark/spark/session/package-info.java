/**
 * Step sessions: the transport of the Spark engine's steps and evaluations between the driver and
 * a barrier job's tasks that stay up from step to step. The driver's side is {@link
 * io.gradspark.spark.session.StepSession} (posting a step, collecting its sums; in the JVM, or
 * over TCP on the engine's {@link io.gradspark.spark.session.StepSession.Server}); the tasks'
 * side is {@code SessionTasks} (the barrier job's function) and {@link
 * io.gradspark.spark.session.ExchangeTask} over TCP (star or tree, {@link
 * io.gradspark.spark.session.ExchangeTree} cutting the vector into segments whose canonical merges
 * run on the tasks);
 * framing, sealing and the membership proof are {@link io.gradspark.spark.session.Frames} and
 * {@link io.gradspark.spark.session.HelloServer}. What a task computes is not here: the engine
 * hands each task a {@link io.gradspark.spark.session.SessionWork}; the session merges the sums
 * in the canonical order ({@code io.gradspark.train.CanonicalSum}), on the driver for a star and
 * a segment on each task for a tree.
 *
 * <p>Threat model. <b>Who can connect:</b> anyone who can reach a listening socket: the driver's
 * step server on {@code spark.driver.bindAddress} (a fixed {@code training.sessions.port} or any
 * free port), and while a session's links form, in a tree each task's port on its executor's host as
 * Spark reports it in the barrier task infos (announced through Spark's barrier {@code
 * allGather}, closed once the tasks it expects have connected); nowhere Spark itself does not listen.
 * <b>What the secret proves:</b> each session draws a random 256-bit secret, which reaches its
 * tasks only inside the tasks themselves, over Spark's own channel (authenticated with {@code
 * spark.authenticate}, encrypted with {@code spark.network.crypto.enabled}). Every connection,
 * task to driver and task to task, opens with a hash of the secret, the sender's partition and a
 * nonce; a listener keeps only a connection whose hash is right and whose partition it expects
 * (the driver: each task of the session; a task: each higher partition of the session, once
 * each). The
 * hash proves knowledge of the secret and gives nothing of a key away. <b>What is sealed:</b>
 * with {@code spark.network.crypto.enabled}, as Spark's own traffic, every frame is sealed with
 * AES-GCM under a key of the connection's own (HMAC-SHA256 of the secret, the partition and the
 * connection's nonce), each direction counting its frames into the GCM nonce, so a frame altered,
 * replayed, reordered or taken from another connection fails its tag and ends the connection;
 * without it frames are plain, as Spark's are then. <b>How strangers are shrugged off:</b> a
 * listening socket reads every hello without blocking, all at once on one selector thread, so a
 * silent or slow connection holds no thread and delays no one; it is closed after {@link
 * io.gradspark.spark.session.HelloServer#HELLO_MILLIS} or as the oldest of a bounded number of
 * pending ones; a wrong hello is closed at once. <b>Not defended:</b> a holder of the secret (it
 * runs the application's code on the executors) is trusted, as is the cluster's own Spark; frame
 * sizes are capped, but a member can send wrong sums, as a task of a job per step could return
 * wrong results. See src/site/markdown/distributed-step.md.
 *
 * <p>Imports: root, nn, train. Imported by: spark only. The package's public types are the
 * engine's, not an application's: their signatures may change in any release.
 */
package io.gradspark.spark.session;
