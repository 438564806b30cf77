// DynamoDB Local, listening on 127.0.0.1 only. Its own launcher binds every interface and has no
// option to choose one (its options are -port, -inMemory, -sharedDb, -dbPath, -cors, ...), so
// this starts the same server from the same command-line options and sets the host of its Jetty
// connector before it starts. Run with java's single-file source launcher (a JDK), with the
// DynamoDB Local jar and its lib folder on the class path (scripts/lib/services.sh).
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class Loopback {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local has no connector to bind");
        }
        for (Connector connector : connectors) {
            ((ServerConnector) connector).setHost("127.0.0.1");
        }
        proxy.start();
        proxy.join();
    }
}
