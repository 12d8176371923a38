package lanes;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;

/**
 * Starts DynamoDB Local with its HTTP server bound to 127.0.0.1 instead of every interface.
 *
 * <p>DynamoDB Local has no option for the listen address: its {@code DynamoDBProxyServer} builds a
 * Jetty {@code Server(port)}, which listens on 0.0.0.0. LocalStack starts it with {@code java -jar
 * DynamoDBLocal.jar}; the lanes provisioning puts this launcher's jar there (its manifest puts the
 * real jar on the class path), so the same command line starts the same server, on loopback.
 * Reflection keeps the launcher free of compile-time dependencies; when a DynamoDB Local release
 * changes the internals used here, it stops with a message instead of listening everywhere.
 */
public final class LoopbackDynamoDbLocal {
  private static final String HOST = System.getProperty("lanes.dynamodb.host", "127.0.0.1");

  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    Object proxyServer;
    try {
      Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
      proxyServer =
          runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
      Field jettyField = proxyServer.getClass().getDeclaredField("server");
      jettyField.setAccessible(true);
      Object jetty = jettyField.get(proxyServer);
      Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
      if (connectors.length == 0) throw new IllegalStateException("the Jetty server has no connector");
      for (Object connector : connectors) {
        connector.getClass().getMethod("setHost", String.class).invoke(connector, HOST);
      }
    } catch (InvocationTargetException error) {
      throw (error.getCause() instanceof Exception cause) ? cause : error;
    } catch (ReflectiveOperationException | IllegalStateException | ClassCastException error) {
      System.err.println(
          "lanes: this DynamoDB Local release changed the internals the loopback launcher uses ("
              + error
              + "); update embedded-localstack/dynamodb-local/LoopbackDynamoDbLocal.java");
      System.exit(70);
      return;
    }
    try {
      proxyServer.getClass().getMethod("start").invoke(proxyServer);
    } catch (InvocationTargetException error) {
      throw (error.getCause() instanceof Exception cause) ? cause : error;
    }
  }
}
